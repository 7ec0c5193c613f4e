"""The move-in procedure (procedures §6, M0 业主办理入住标准规程 and 业主档案建立、管理规程), driven
through the engine's use cases by the demo users of each lane, on a clock the tests move."""
from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from lxml import etree

from engine.clock import parse_instant, to_iso
from engine.errors import WuyeError
from engine.rules import desks
from engine.rules.permissions import SYSTEM
from engine.usecases.audit import verify_audit
from engine.usecases.browse import search_instances
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import claim_task, complete_task, list_tasks
from engine.usecases.timers import fire_due_timers
from tests.support import BPMN_DIR, PROCESSES, act, attr, deploy_files, deployed_meta, found
from tests.support import at as clock_at

MOVE_IN = PROCESSES / "move_in.bpmn"
DESKS = PROCESSES / "move_in_desks.json"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
LANES = ["front_desk", "finance", "inspector", "archivist", "developer_cs", "butler"]

PRESENT = {"owner_present": True, "documents_complete": True}
PAPERWORK = {"contract_copied": True, "id_copied": True, "move_in_file_filled": True, "convention_explained": True,
             "fees_due": 3260.5, "fee_items": "物业费一年 2860.5，垃圾清运费 400"}
FEES = {"amount_received": 3260.5, "payment_method": "pos", "receipt_no": "SJ-20261103-0001"}
KEYS = {"keys_handed": True, "door_keys": 3, "mailbox_keys": 2, "keys_explained": True}
NO_ISSUES = {"inspection_issues": False, "inspection_form_no": "YF-0001"}
ISSUES = {"inspection_issues": True, "inspection_form_no": "YF-0002", "issue_list": "主卧墙面裂缝；卫生间地漏返水",
          "a_key_to_developer": True}


def at(text: str):
    return parse_instant(text)


class MoveIn:
    """One database, one clock, and the demo users working their lanes through the use cases."""

    def __init__(self, db, now: str = "2026-11-02T09:00:00+08:00"):
        self.db, self.clock = db, clock_at(now)
        deploy_files(db, MOVE_IN, at=self.clock)

    def call(self, use_case, user: str | None, **kw):
        return act(self.db, use_case, as_=user or SYSTEM, at=self.clock, **kw)

    def start(self, building: int = 8, appointment_at: str = "2026-11-03T10:00:00+08:00", **extra) -> int:
        data = {"owner": "张三", "room": f"{building}-1-1102", "building": building, "phone": "13800138000",
                "appointment_at": appointment_at, **extra}
        return self.call(start_instance, "front_desk", process_id="move_in", data=data)["instance"]

    def set(self, when: str) -> list[dict]:
        """Move the clock and run the timer sweep, as the worker would."""
        self.clock.set(at(when))
        return act(self.db, fire_due_timers, as_=None, at=self.clock)

    def ready(self, instance: int) -> dict[str, dict]:
        return {t["name"]: t for t in self.call(show_instance, None, instance_id=instance)["ready"]}

    def work(self, instance: int, name: str, data: dict, user: str | None = None) -> dict:
        """The lane's demo user claims the task, then completes it with ``data``."""
        task = self.ready(instance)[name]
        user = user or task["lane"]
        assert task["id"] in {t["id"] for t in self.call(list_tasks, user, instance_id=instance)}
        self.call(claim_task, user, task_id=task["id"])
        return self.call(complete_task, user, task_id=task["id"], data=data)

    def show(self, instance: int) -> dict:
        return self.call(show_instance, None, instance_id=instance)

    def through_keys(self, instance: int) -> None:
        """From the appointment to the keys (clock: the appointment's morning)."""
        self.work(instance, "receive_owner", PRESENT)
        self.work(instance, "paperwork", PAPERWORK)
        self.work(instance, "collect_fees", FEES)
        self.work(instance, "hand_keys", KEYS)


@pytest.fixture
def move_in(sqlite_db) -> MoveIn:
    return MoveIn(sqlite_db)


# -- the definition ----------------------------------------------------------------------------------

def test_the_move_in_process_deploys_with_chinese_names_and_lanes_of_known_groups(sqlite_db):
    mi = MoveIn(sqlite_db)
    meta = deployed_meta(sqlite_db, "move_in")
    assert meta["name"] == "业主办理入住"
    assert list(meta["lanes"]) == LANES and all(meta["lanes"].values())
    assert meta["start_groups"] == ["front_desk"]
    assert [f["id"] for f in meta["start_form"]] == ["owner", "room", "building", "phone", "appointment_at"]
    assert {f["id"]: f["type"] for f in meta["start_form"]}["building"] == "long"
    assert {f["id"]: f["type"] for f in meta["start_form"]}["appointment_at"] == "date"
    users = {i: el for i, el in meta["elements"].items() if el["type"] == "userTask"}
    assert len(users) == 13
    for element_id, el in users.items():
        assert el["lane"] in LANES, element_id
        assert el["form"], element_id
        assert any("\u4e00" <= ch <= "\u9fff" for ch in el["name"]), element_id
    deadlines = {el["properties"].get("deadline"): (i, el) for i, el in meta["elements"].items()
                 if el["type"] == "boundaryEvent"}
    assert set(deadlines) == {"MI1", "MI2"}
    assert "一个工作日内完成" in deadlines["MI1"][1]["documentation"]
    assert "大约1周" in deadlines["MI2"][1]["documentation"]
    assert deadlines["MI1"][1]["attached_to"] == "archive" and deadlines["MI2"][1]["attached_to"] == "developer_repair"
    assert not deadlines["MI1"][1]["interrupting"] and not deadlines["MI2"][1]["interrupting"]
    assert mi.call(list_tasks, "front_desk") == []


def _bounds(shape) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def _inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_diagram_is_clean_lanes_are_stacked_bands_and_no_two_shapes_overlap():
    root = etree.parse(str(MOVE_IN)).getroot()
    proc = found(root.find("bpmn:process", NS), "bpmn:process in move_in.bpmn")
    shapes = {s.get("bpmnElement"): _bounds(s) for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
    nodes = {attr(n, "id"): n for n in proc.iter() if isinstance(n.tag, str) and n.get("id")
             and etree.QName(n).localname not in ("lane", "laneSet", "sequenceFlow", "documentation",
                                                  "timerEventDefinition", "process")
             and etree.QName(n).namespace == NS["bpmn"]}
    flows = {f.get("id") for f in proc.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    assert set(nodes) <= set(shapes) and flows == edges
    # lanes: same left edge and width, stacked top to bottom without gap or overlap, inside the pool
    lanes = [lane.get("id") for lane in proc.iter(f"{{{NS['bpmn']}}}lane")]
    bands = [shapes[lane] for lane in lanes]
    assert len({(b[0], b[2]) for b in bands}) == 1
    assert all(upper[3] == lower[1] for upper, lower in itertools.pairwise(bands))
    assert all(_inside(b, shapes["pool_move_in"]) for b in bands)
    # every node is drawn inside its lane's band (a boundary event straddles its host's edge, so its centre)
    for lane in proc.iter(f"{{{NS['bpmn']}}}lane"):
        band = shapes[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            name = found(ref.text, f"the node a flowNodeRef of lane {lane.get('id')} names")
            box = shapes[name]
            if name == "archive":
                continue                      # the subprocess spans the lanes of the people who work in it
            centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            assert band[0] <= centre[0] <= band[2] and band[1] <= centre[1] <= band[3], name
            if etree.QName(nodes[name]).localname != "boundaryEvent":
                assert _inside(box, band), name
    # no overlaps, except a subprocess with what it contains and a boundary event with its host
    sub = nodes["archive"]
    inside_sub = {n.get("id") for n in sub.iter() if n is not sub and n.get("id") in nodes}
    boundary = {i: n.get("attachedToRef") for i, n in nodes.items() if etree.QName(n).localname == "boundaryEvent"}
    ids = sorted(nodes)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            pair = {a, b}
            if "archive" in pair and (pair - {"archive"}) <= inside_sub:
                continue
            if boundary.get(a) == b or boundary.get(b) == a:
                continue
            assert not _overlap(shapes[a], shapes[b]), (a, b)
    assert all(_inside(shapes[i], shapes["archive"]) for i in inside_sub)
    assert _overlap(shapes["archive_late"], shapes["archive"])
    assert _overlap(shapes["repair_late"], shapes["developer_repair"])


# -- desk routing --------------------------------------------------------------------------------------

def _configured_desks() -> list[tuple[int, str]]:
    """(building, desk id) for the first and last building of every desk in the shipped file."""
    table = desks.load_desks(DESKS.read_text(encoding="utf-8"))
    out = []
    for desk in table.desks.values():
        out += [(min(desk.buildings), desk.id), (max(desk.buildings), desk.id)]
    return out


def test_the_shipped_configuration_has_the_three_desks_of_the_manual():
    table = desks.load_desks(DESKS.read_text(encoding="utf-8"))
    assert len(table.desks) == 3
    desks_ = list(table.desks.values())
    assert all(a.buildings.isdisjoint(b.buildings) for a in desks_ for b in desks_ if a != b)


@pytest.mark.parametrize(("building", "desk"), _configured_desks())
def test_the_paperwork_goes_to_the_desk_configured_for_the_building(move_in, building, desk):
    instance = move_in.start(building=building)
    data = move_in.show(instance)["data"]
    assert data["desk_group"] == desk
    assert data["desk_name"] == desks.load_desks(DESKS.read_text(encoding="utf-8")).desks[desk].name
    move_in.set("2026-11-03T09:31:00+08:00")
    assert move_in.ready(instance)["receive_owner"]["lane"] == "front_desk"


def test_a_building_no_desk_serves_is_refused_at_the_start_and_nothing_is_stored(move_in):
    served = set().union(*(d.buildings for d in desks.load_desks(DESKS.read_text(encoding="utf-8")).desks.values()))
    unknown = max(served) + 1
    with pytest.raises(WuyeError) as failed:
        move_in.start(building=unknown)
    # the start form's own check (check:building = move_in_desk): bad input beside the field, not a
    # failed step (issue 11 defect 2)
    assert (failed.value.exit_code, failed.value.http_status) == (2, 422)
    assert failed.value.fields["building"]["message"] == f"{unknown}号楼没有对应的入住办理组"
    assert move_in.call(search_instances, "quality", process_id="move_in") == []


def test_an_edited_desk_file_routes_the_next_move_in_without_a_redeploy(move_in, monkeypatch, tmp_path):
    alt = tmp_path / "desks.json"
    alt.write_text((BPMN_DIR / "move_in_desks_alt.json").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("WUYE_MOVE_IN_DESKS", str(alt))
    first = move_in.start(building=8)
    assert move_in.show(first)["data"]["desk_group"] == "west"
    data = json.loads(alt.read_text(encoding="utf-8"))
    data["desks"]["east"]["buildings"].append(8)
    data["desks"]["west"]["buildings"] = ["1-7"]
    alt.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    import os
    os.utime(alt, ns=(alt.stat().st_mtime_ns + 10**9,) * 2)      # a later mtime even on a coarse clock
    second = move_in.start(building=8)
    assert move_in.show(second)["data"]["desk_group"] == "east"
    assert move_in.show(first)["data"]["desk_group"] == "west"     # recorded, not recomputed


@pytest.mark.parametrize(("text", "problem"), [
    ('{"desks": {}}', "non-empty"),
    ('{"desks": {"a": {"name": "一组", "buildings": ["1-5"]}, "b": {"name": "二组", "buildings": [5]}}}',
     "building 5 is already served by desk 'a'"),
    ('{"desks": {"a": {"name": "一组", "buildings": ["5-1"]}}}', "bad range"),
    ('{"desks": {"a": {"name": "一组", "buildings": ["x"]}}}', "neither a building number"),
    ('{"desks": {"1a": {"name": "一组", "buildings": [1]}}}', "identifier"),
    ('{"desks": {"a": {"buildings": [1]}}}', 'needs a "name"'),
    ('{"desks": {"a": {"name": "一组", "buildings": [1]}}, "default": "b"}', "default 'b'"),
    ("{", "not valid JSON"),
])
def test_a_bad_desk_file_is_refused_with_the_reason(text, problem):
    with pytest.raises(ValueError, match=r"desks\.json") as refused:
        desks.load_desks(text, "desks.json")
    assert problem in str(refused.value)


def test_a_default_desk_serves_unlisted_buildings_and_bad_building_numbers_are_refused():
    table = desks.load_desks('{"desks": {"a": {"name": "一组", "buildings": [1, "3-4"]}, '
                             '"b": {"name": "二组", "buildings": [2]}}, "default": "b"}')
    assert [table.for_building(n).id for n in (1, 2, 3, 4, 5, "4", 4.0)] == ["a", "b", "a", "a", "b", "a", "a"]
    for bad in (0, -1, True, 2.5, "二", None):
        with pytest.raises(ValueError, match="building"):
            table.for_building(bad)


# -- the paths -----------------------------------------------------------------------------------------

def test_demo_users_take_a_move_in_from_the_appointment_to_the_archive(db):
    """The main path, on SQLite and PostgreSQL: each lane's demo user claims and completes its task."""
    mi = MoveIn(db)
    instance = mi.start(building=3, appointment_at="2026-11-03T10:00:00+08:00")
    assert mi.ready(instance) == {}
    assert mi.set("2026-11-03T09:30:00+08:00") == []                     # the task opens 30 minutes before
    fired = mi.set("2026-11-03T09:30:01+08:00")
    assert [f["timer"] for f in fired] == ["wait_appointment"]
    mi.clock.set(at("2026-11-03T10:00:00+08:00"))
    mi.work(instance, "receive_owner", PRESENT)
    mi.work(instance, "paperwork", PAPERWORK)
    mi.work(instance, "collect_fees", FEES)
    mi.work(instance, "hand_keys", KEYS)
    mi.clock.set(at("2026-11-03T10:40:00+08:00"))
    done = mi.work(instance, "inspect_house", NO_ISSUES)
    assert [t["name"] for t in done["ready"]] == ["build_archive"]
    assert done["ready"][0]["due_at"] == "2026-11-04T17:30:00+08:00"     # MI1: next working day's close
    mi.clock.set(at("2026-11-04T09:00:00+08:00"))
    done = mi.work(instance, "build_archive", {"signatures_complete": True, "electronic_copy": True})
    assert done["status"] == "completed"
    shown = mi.show(instance)
    assert shown["violations"] == []
    data = shown["data"]
    assert (data["desk_group"], data["receipt_no"], data["keys_handed"], data["inspection_issues"],
            data["signatures_complete"]) == ("desk_1", "SJ-20261103-0001", True, False, True)
    assert data["moved_in_at"] == "2026-11-03T10:00:00+08:00"
    events = mi.call(history, None, instance_id=instance)
    completed = [(e["actor"], e["data"]["name"]) for e in events if e["type"] == "task_completed"]
    assert completed == [("front_desk", "receive_owner"), ("front_desk", "paperwork"), ("finance", "collect_fees"),
                         ("front_desk", "hand_keys"), ("inspector", "inspect_house"), ("archivist", "build_archive")]
    assert [e["type"] for e in events].count("task_claimed") == 6
    assert mi.call(verify_audit, None)["ok"] is True


def test_an_owner_who_does_not_come_is_rescheduled_and_the_desk_waits_for_the_new_time(move_in):
    instance = move_in.start(appointment_at="2026-11-03T10:00:00+08:00")
    move_in.set("2026-11-03T11:00:00+08:00")
    move_in.work(instance, "receive_owner", {"owner_present": False, "documents_complete": False,
                                             "reception_note": "业主未到"})
    assert set(move_in.ready(instance)) == {"reschedule"}
    move_in.work(instance, "reschedule", {"appointment_at": "2026-11-05T14:00:00+08:00", "reschedule_reason": "出差"})
    assert move_in.ready(instance) == {}
    assert move_in.set("2026-11-05T13:30:00+08:00") == []
    move_in.set("2026-11-05T13:31:00+08:00")
    move_in.work(instance, "receive_owner", {"owner_present": True, "documents_complete": False})
    assert set(move_in.ready(instance)) == {"reschedule"}                 # came without the documents
    move_in.work(instance, "reschedule", {"appointment_at": "2026-11-05T16:00:00+08:00",
                                          "reschedule_reason": "回家取证件"})
    move_in.set("2026-11-05T15:31:00+08:00")
    move_in.work(instance, "receive_owner", PRESENT)
    assert set(move_in.ready(instance)) == {"paperwork"}
    assert move_in.show(instance)["data"]["appointment_at"] == "2026-11-05T16:00:00+08:00"


def test_keys_not_handed_come_back_to_the_lobby_until_they_are(move_in):
    instance = move_in.start()
    move_in.set("2026-11-03T10:00:00+08:00")
    move_in.work(instance, "receive_owner", PRESENT)
    move_in.work(instance, "paperwork", PAPERWORK)
    move_in.work(instance, "collect_fees", FEES)
    move_in.work(instance, "hand_keys", {"keys_handed": False, "keys_note": "报箱钥匙缺失"})
    assert set(move_in.ready(instance)) == {"hand_keys"}
    move_in.clock.set(at("2026-11-03T15:00:00+08:00"))
    move_in.work(instance, "hand_keys", KEYS)
    assert set(move_in.ready(instance)) == {"inspect_house"}
    assert move_in.show(instance)["data"]["moved_in_at"] == "2026-11-03T15:00:00+08:00"


def test_inspection_defects_go_to_the_developer_and_back_until_the_owner_accepts(move_in):
    instance = move_in.start()
    move_in.set("2026-11-03T10:00:00+08:00")
    move_in.through_keys(instance)
    move_in.work(instance, "inspect_house", ISSUES)
    ready = move_in.ready(instance)
    assert set(ready) == {"developer_repair", "build_archive"}
    assert ready["developer_repair"]["lane"] == "developer_cs"
    assert ready["developer_repair"]["due_at"] == "2026-11-10T10:00:00+08:00"   # MI2: 7 days
    move_in.work(instance, "build_archive", {"signatures_complete": True})
    move_in.clock.set(at("2026-11-06T10:00:00+08:00"))
    move_in.work(instance, "developer_repair", {"repair_result": "墙面已修补", "a_key_returned": False})
    move_in.work(instance, "confirm_repair", {"owner_accepts": False, "owner_feedback": "地漏仍返水"})
    ready = move_in.ready(instance)
    assert set(ready) == {"developer_repair"} and ready["developer_repair"]["due_at"] == "2026-11-13T10:00:00+08:00"
    move_in.work(instance, "developer_repair", {"repair_result": "地漏已更换", "a_key_returned": True})
    done = move_in.work(instance, "confirm_repair", {"owner_accepts": True})
    assert done["status"] == "completed"
    assert move_in.show(instance)["violations"] == []


@pytest.mark.parametrize("missing_from", ["finance", "inspector", "front_desk", None])
def test_missing_signatures_go_back_to_the_responsible_lane_then_the_archive_is_checked_again(move_in, missing_from):
    instance = move_in.start()
    move_in.set("2026-11-03T10:00:00+08:00")
    move_in.through_keys(instance)
    move_in.work(instance, "inspect_house", NO_ISSUES)
    submitted = {"signatures_complete": False, "missing_items": "应交费用缺财务签字"}
    if missing_from:
        submitted["missing_from"] = missing_from
    move_in.work(instance, "build_archive", submitted)
    expected_lane = missing_from or "front_desk"                           # unnamed → the desk chases it
    (name, task), = move_in.ready(instance).items()
    assert name == f"supplement_{expected_lane}" and task["lane"] == expected_lane
    assert task["due_at"] == "2026-11-04T17:30:00+08:00"                   # still MI1's deadline
    move_in.work(instance, name, {"supplement_note": "已补签"})
    assert set(move_in.ready(instance)) == {"build_archive"}
    done = move_in.work(instance, "build_archive", {"signatures_complete": True})
    assert done["status"] == "completed"


# -- deadlines -----------------------------------------------------------------------------------------

def _to_archive(mi: MoveIn, appointment: str, keys_at: str) -> int:
    mi.clock.set(at(appointment) - timedelta(days=1))        # booked the day before: time only runs forward
    instance = mi.start(appointment_at=appointment)
    mi.set(to_iso(at(appointment) - timedelta(minutes=29)))
    mi.clock.set(at(keys_at))
    mi.through_keys(instance)
    mi.work(instance, "inspect_house", NO_ISSUES)
    return instance


@pytest.mark.parametrize(("keys_at", "due"), [
    ("2026-11-06T16:00:00+08:00", "2026-11-09T17:30:00+08:00"),     # Friday → Monday's close
    ("2026-11-07T10:00:00+08:00", "2026-11-09T17:30:00+08:00"),     # Saturday → Monday's close
    ("2026-09-30T11:00:00+08:00", "2026-10-08T17:30:00+08:00"),     # National Day 2026: 1–7 Oct off
])
def test_mi1_the_archive_is_due_one_working_day_after_move_in(move_in, keys_at, due):
    instance = _to_archive(move_in, keys_at, keys_at)
    assert move_in.ready(instance)["build_archive"]["due_at"] == due
    assert move_in.set(to_iso(at(due) - timedelta(days=1))) == []
    assert move_in.set(due) == []                                           # at the due time: not yet late
    assert move_in.show(instance)["violations"] == []
    fired = move_in.set(to_iso(at(due) + timedelta(seconds=1)))
    assert [f["timer"] for f in fired] == ["archive_late"]
    (violation,) = move_in.show(instance)["violations"]
    assert (violation["deadline"], violation["responsible"], violation["at"]) == \
        ("MI1", "archivist", to_iso(at(due) + timedelta(seconds=1)))
    assert set(move_in.ready(instance)) == {"build_archive"}               # not interrupting: still to do
    move_in.work(instance, "build_archive", {"signatures_complete": False, "missing_from": "finance"})
    move_in.work(instance, "supplement_finance", {"supplement_note": "已补"})
    assert move_in.set(to_iso(at(due) + timedelta(days=2))) == []          # once per archive, not per check
    done = move_in.work(instance, "build_archive", {"signatures_complete": True})
    assert done["status"] == "completed" and len(move_in.show(instance)["violations"]) == 1


def test_mi1_an_archive_finished_on_the_due_day_records_no_violation(move_in):
    instance = _to_archive(move_in, "2026-09-30T11:00:00+08:00", "2026-09-30T11:00:00+08:00")
    for day in range(1, 8):                                                 # the holiday passes quietly
        assert move_in.set(f"2026-10-0{day}T18:00:00+08:00") == []
    move_in.clock.set(at("2026-10-08T17:29:59+08:00"))
    assert move_in.work(instance, "build_archive", {"signatures_complete": True})["status"] == "completed"
    assert move_in.set("2026-10-09T09:00:00+08:00") == []
    assert move_in.show(instance)["violations"] == []


def test_mi2_a_repair_past_seven_days_alerts_the_butler_who_informs_the_owner(move_in):
    instance = move_in.start()
    move_in.set("2026-11-03T10:00:00+08:00")
    move_in.through_keys(instance)
    move_in.work(instance, "inspect_house", ISSUES)
    move_in.work(instance, "build_archive", {"signatures_complete": True})
    repair = move_in.ready(instance)["developer_repair"]
    move_in.call(claim_task, "developer_cs", task_id=repair["id"])
    assert move_in.set("2026-11-10T10:00:00+08:00") == []                   # exactly 7 days: on time
    fired = move_in.set("2026-11-10T10:00:01+08:00")
    assert [f["timer"] for f in fired] == ["repair_late"]
    (violation,) = move_in.show(instance)["violations"]
    assert (violation["deadline"], violation["responsible"], violation["responsible_kind"]) == \
        ("MI2", "developer_cs", "user")                                      # the person who claimed it
    ready = move_in.ready(instance)
    assert set(ready) == {"developer_repair", "inform_owner_delay"} and ready["inform_owner_delay"]["lane"] == "butler"
    move_in.work(instance, "inform_owner_delay", {"delay_told": True, "expected_repair_on": "2026-11-12"})
    move_in.work(instance, "developer_repair", {"repair_result": "已修复"})
    assert move_in.work(instance, "confirm_repair", {"owner_accepts": True})["status"] == "completed"
    assert len(move_in.show(instance)["violations"]) == 1


def test_mi2_a_repair_done_within_seven_days_records_nothing(move_in):
    instance = move_in.start()
    move_in.set("2026-11-03T10:00:00+08:00")
    move_in.through_keys(instance)
    move_in.work(instance, "inspect_house", ISSUES)
    move_in.clock.set(at("2026-11-10T09:59:59+08:00"))
    move_in.work(instance, "developer_repair", {"repair_result": "已修复"})   # the step also fires MI1
    move_in.set("2026-11-11T10:00:00+08:00")
    assert {v["deadline"] for v in move_in.show(instance)["violations"]} == {"MI1"}   # archive not built
    assert "inform_owner_delay" not in move_in.ready(instance)


def test_the_checks_of_the_procedure_are_required_not_just_recorded(move_in):
    """Issue 15: four paperwork confirmations false, ¥100 received against ¥3,260.50, issues found
    with no list and no A-key record: each refused beside its field, nothing recorded."""
    from engine.errors import BadInput
    instance = move_in.start()
    move_in.set("2026-11-03T10:00:00+08:00")
    move_in.work(instance, "receive_owner", PRESENT)
    with pytest.raises(BadInput) as bad:
        move_in.work(instance, "paperwork", {**PAPERWORK, "contract_copied": False, "id_copied": False,
                                             "move_in_file_filled": False, "convention_explained": False})
    four = ("contract_copied", "id_copied", "move_in_file_filled", "convention_explained")
    assert {k: v["key"] for k, v in bad.value.fields.items()} == dict.fromkeys(four, "form.confirmed")
    move_in.work(instance, "paperwork", PAPERWORK)
    with pytest.raises(BadInput) as bad:
        move_in.work(instance, "collect_fees", {**FEES, "amount_received": 100})
    assert bad.value.fields["amount_received"]["message"] == "不能少于应缴费用合计（元）（3260.5）"
    move_in.work(instance, "collect_fees", FEES)
    move_in.work(instance, "hand_keys", KEYS)
    with pytest.raises(BadInput) as bad:
        move_in.work(instance, "inspect_house", {"inspection_issues": True, "inspection_form_no": "YF-0003"})
    assert set(bad.value.fields) == {"issue_list", "a_key_to_developer"}
    assert "验房发现质量问题" in bad.value.fields["issue_list"]["message"]
    assert set(move_in.ready(instance)) == {"inspect_house"}
    move_in.work(instance, "inspect_house", ISSUES)
