"""processes/complaint.bpmn against procedures.md §3: every branch, every deadline C1–C13 just
before and just after it falls due (timers fire strictly after their due time), violations with
their amount and responsible person, repeat complaints, the M4 category rules, the case library.

Driven through the engine use cases as the demo users (one per group, named after it), with a
fixed clock per step. Most tests share one SQLite database per module (instances are independent;
`Case.fire` reports only its own instance's timers); the main path runs on SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest

from engine.clock import parse_instant, to_iso
from engine.errors import BadInput
from engine.rules import case_library
from engine.usecases import instances, start_instance, tasks, timers
from tests.support import PROCESSES, act, attr, deploy_files, deployed_meta, found, initialized_sqlite

BPMN = PROCESSES / "complaint.bpmn"
FRIDAY = "2026-11-20"        # a Friday; Monday 2026-11-23 is a working day
DEADLINES = [f"C{i}" for i in (*range(1, 18), 19)]       # C14–C17, C19: M1 第十二、五、九条, M0 4.3 (issue 15)


def later(text: str, **delta) -> str:
    return to_iso(parse_instant(text) + timedelta(**delta))


class Case:
    """One complaint instance, driven step by step."""

    def __init__(self, db, instance_id: int):
        self.db, self.id = db, instance_id

    def show(self, now: str = "2026-11-20T00:00:00+08:00") -> dict:
        return act(self.db, instances.show_instance, at=now, instance_id=self.id)

    def ready(self) -> list[dict]:
        return self.show()["ready"]

    def names(self) -> list[str]:
        return sorted(t["name"] for t in self.ready())

    def task(self, name: str) -> dict:
        found = [t for t in self.ready() if t["name"] == name]
        assert len(found) == 1, f"{name} not ready once: {self.names()}"
        return found[0]

    def complete(self, name: str, now: str, as_: str | None = None, **data) -> dict:
        task = self.task(name)
        return act(self.db, tasks.complete_task, as_=as_ or task["lane"], at=now, task_id=task["id"], data=data)

    def claim(self, name: str, now: str, as_: str) -> None:
        act(self.db, tasks.claim_task, as_=as_, at=now, task_id=self.task(name)["id"])

    def fire(self, now: str) -> list[str]:
        """Run the timer sweep at ``now``; the timers of this instance that fired."""
        return [f["timer"] for f in act(self.db, timers.fire_due_timers, as_=None, at=now)
                if f.get("instance") == self.id and "timer" in f]

    def due(self, timer: str) -> str:
        found = [w["due_at"] for w in self.show()["waiting"] if w["name"] == timer]
        assert len(found) == 1, f"{timer} not waiting once: {[w['name'] for w in self.show()['waiting']]}"
        return found[0]

    def falls_due(self, timer: str, due: str) -> None:
        """The timer is due at ``due``: silent at that instant, fired one second later."""
        assert self.due(timer) == due
        assert timer not in self.fire(due)
        assert timer in self.fire(later(due, seconds=1))

    def violations(self) -> list[tuple]:
        return [(v["deadline"], v["responsible"], v["amount"]) for v in self.show()["violations"]]


class Desk:
    def __init__(self, db):
        self.db = db

    def start(self, received_at: str, as_: str = "dispatcher", at: str | None = None, **data) -> Case:
        """Started at ``at`` (reported to the dispatch centre then), received at ``received_at``."""
        values = {"complainant": "张先生", "room": "3-2-1102", "phone": "13800000000", "channel": "phone",
                  "content": "楼道灯不亮", "received_at": received_at, **data}
        result = act(self.db, start_instance.start_instance, as_=as_, at=at or received_at, process_id="complaint",
                     data=values)
        return Case(self.db, result["instance"])

    def classified(self, received_at: str, *, complaint_type="valid", severity="general", category="noise",
                   dept="engineering", **start) -> Case:
        """Started, taken in (1 min) and classified (5 min after receipt)."""
        case = self.start(received_at, **start)
        case.complete("intake", later(received_at, minutes=1), receiver="调度员小王")
        case.complete("audit_record", later(received_at, minutes=2), record_missing=0, audit_signed=True)
        case.complete("classify", later(received_at, minutes=5), complaint_type=complaint_type, severity=severity,
                      category=category, responsible_dept=dept)
        return case

    def handled(self, received_at: str, dept="engineering", **kw) -> Case:
        """Classified, accepted at +20 min (inside C2), handled at +2 h (finished then)."""
        case = self.classified(received_at, dept=dept, **kw)
        case.complete(f"accept_{dept}", later(received_at, minutes=20), contact_note="已电话联系业主")
        done = later(received_at, hours=2)
        case.complete(f"handle_{dept}", done, result="已修复", finished_at=done)
        return case


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    database = initialized_sqlite(tmp_path_factory.mktemp("complaint"))
    deploy_files(database, BPMN)
    yield Desk(database)
    database.dispose()


def satisfied_and_closed(case: Case, now: str) -> None:
    case.complete("followup", now, satisfied=True)
    reviewed_and_closed(case, later(now, minutes=5))


def reviewed_and_closed(case: Case, now: str) -> None:
    """The manager's review (M0 4.3), then the archive confirmed."""
    case.complete("manager_review", now, review_note="处理得当", reviewed=True)
    case.complete("close", later(now, minutes=5), owner_opinion="满意", archived=True)


# -- deploy and the model ----------------------------------------------------------------------------

@pytest.mark.once
def test_the_cli_deploys_complaint_bpmn_and_the_model_carries_procedures_section_3(wuye, db):
    deployed = wuye("deploy", str(BPMN))
    assert deployed.code == 0, deployed.err
    assert deployed.json["deployed"][0]["id"] == "complaint"
    meta = deployed_meta(db, "complaint")
    assert meta["name"] == "客户投诉处理" and meta["start_groups"] == ["dispatcher", "front_desk"]
    assert {"dispatcher", "front_desk", "butler", "cs_supervisor", "cs_manager", "dispatch_supervisor",
            "engineering", "security", "cleaning", "finance", "developer_cs"} == set(meta["lanes"])
    start = {f["id"]: f for f in meta["start_form"]}
    assert [o["id"] for o in start["channel"]["options"]] == ["visit", "phone", "letter", "email", "mailbox",
                                                               "developer_transfer", "other"]
    assert start["received_at"]["default"] == "now" and start["households"]["default"] == 1
    assert all(start[f]["required"] for f in ("complainant", "room", "phone", "channel", "content"))
    elements = meta["elements"]
    for eid, el in elements.items():
        if el["type"] == "userTask":
            assert el["lane"], eid
        if el["type"] in ("userTask", "scriptTask", "boundaryEvent", "intermediateCatchEvent"):
            assert any(m in el["documentation"] for m in ("M0", "M1", "M2", "M3", "M4")), eid
    fields = {f["id"]: f for el in elements.values() for f in el.get("form", [])}
    assert [o["id"] for o in fields["complaint_type"]["options"]] == ["valid", "assist", "invalid", "collective"]
    assert [o["id"] for o in fields["severity"]["options"]] == ["general", "important", "major"]
    assert [o["id"] for o in fields["responsible_dept"]["options"]] == [
        "engineering", "security", "cleaning", "front_desk", "finance", "developer", "external"]
    for name in ("agreed_reply_at", "result", "satisfied", "door_visit_required", "manager_decision"):
        assert name in fields
    deadlines = {el["properties"].get("deadline") for el in elements.values()} - {None}
    assert deadlines == set(DEADLINES)
    table = json.loads((PROCESSES / "penalties.json").read_text(encoding="utf-8"))
    assert set(DEADLINES) | {f"R{i}" for i in range(1, 6)} | {f"F{i}" for i in range(1, 7)} | {"MI1", "MI2"} \
        <= set(table)
    assert (table["C1"]["amount"], table["C7"]["amount"], table["C12"]["amount"]) == (30, 100, 50)


@pytest.mark.once
def test_the_diagram_has_every_shape_and_edge_without_overlaps_or_flows_through_shapes():
    from lxml import etree
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
    root = etree.parse(str(BPMN)).getroot()
    proc = found(root.find("bpmn:process", ns), "bpmn:process in complaint.bpmn")
    nodes = {n.get("id"): etree.QName(n).localname for n in proc
             if etree.QName(n).localname not in ("laneSet", "sequenceFlow", "documentation", "extensionElements")}
    flows = {f.get("id") for f in proc.findall("bpmn:sequenceFlow", ns)}
    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", ns) for s in root.iter(f"{{{ns['bpmndi']}}}BPMNShape")}
    edges = {e.get("bpmnElement"): [(float(attr(w, "x")), float(attr(w, "y"))) for w in e.findall("di:waypoint", ns)]
             for e in root.iter(f"{{{ns['bpmndi']}}}BPMNEdge")}
    assert set(nodes) <= set(shapes) and flows == set(edges)
    box = {k: tuple(float(attr(found(b, f"dc:Bounds of the shape of {k}"), a)) for a in ("x", "y", "width", "height"))
           for k, b in shapes.items() if k in nodes}
    plain = {k: v for k, v in box.items() if nodes[k] != "boundaryEvent"}
    items = sorted(plain.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (a, b)
    flow_ends = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in proc.findall("bpmn:sequenceFlow", ns)}
    for fid, pts in edges.items():
        for (x1, y1), (x2, y2) in itertools.pairwise(pts):
            assert x1 == x2 or y1 == y2, fid                         # orthogonal
            for name, (x, y, w, h) in plain.items():
                if name in flow_ends[fid] or nodes[name] in ("startEvent", "endEvent"):
                    continue
                inside_x = min(x1, x2) < x + w - 1 and max(x1, x2) > x + 1
                inside_y = min(y1, y2) < y + h - 1 and max(y1, y2) > y + 1
                assert not (inside_x and inside_y), (fid, name)
    lanes = [s for s in root.iter(f"{{{ns['bpmndi']}}}BPMNShape") if s.get("bpmnElement") in
             {lane.get("id") for lane in proc.iter(f"{{{ns['bpmn']}}}lane")}]
    assert all(s.get("isHorizontal") == "true" for s in lanes) and len(lanes) == 11

    # every label (an event's or a flow's) is clear of every shape but its own event's circle and of
    # every other label; a boundary event's label is also crossed by no flow
    labels = {di.get("bpmnElement"): tuple(float(attr(lb, a)) for a in ("x", "y", "width", "height"))
              for di in root.iter(f"{{{ns['bpmndi']}}}BPMNShape", f"{{{ns['bpmndi']}}}BPMNEdge")
              for lb in di.findall("bpmndi:BPMNLabel/dc:Bounds", ns)}
    assert {k for k, kind in nodes.items() if kind == "boundaryEvent"} <= set(labels)

    def overlap(a, b):
        (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
        return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah

    for owner, label in labels.items():
        assert [s for s, b in box.items() if s != owner and overlap(label, b)] == [], owner
    items = sorted(labels.items())
    for i, (a, la) in enumerate(items):
        assert [b for b, lb in items[i + 1:] if overlap(la, lb)] == [], a
    for owner in (k for k in labels if nodes.get(k) == "boundaryEvent"):
        x, y, w, h = labels[owner]
        for fid, pts in edges.items():
            for (x1, y1), (x2, y2) in itertools.pairwise(pts):
                crosses = min(x1, x2) < x + w and max(x1, x2) > x and min(y1, y2) < y + h and max(y1, y2) > y
                assert not crosses, (owner, fid)


# -- the main path, on SQLite and PostgreSQL ---------------------------------------------------------

def test_a_valid_complaint_runs_from_intake_to_the_archive_on_time_with_no_violation(db):
    deploy_files(db, BPMN)
    case = Desk(db).start(f"{FRIDAY}T09:00:00+08:00", as_="front_desk", channel="visit")
    assert case.task("intake")["candidate_groups"] == ["dispatcher", "front_desk"]
    case.complete("intake", f"{FRIDAY}T09:02:00+08:00", receiver="前台小李")
    assert case.task("audit_record")["lane"] == "dispatch_supervisor"
    case.complete("audit_record", f"{FRIDAY}T09:03:00+08:00", record_missing=0, audit_signed=True)
    assert case.task("classify")["lane"] == "butler"
    case.complete("classify", f"{FRIDAY}T09:04:00+08:00", complaint_type="valid", severity="important",
                  category="access_control", responsible_dept="engineering")
    assert case.task("accept_engineering")["lane"] == "engineering"
    assert case.task("accept_engineering")["priority"] == 1
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系",
                  agreed_reply_at=f"{FRIDAY}T16:00:00+08:00")
    assert case.due("handle_engineering_c5") == f"{FRIDAY}T16:00:00+08:00"      # the agreed time
    case.complete("handle_engineering", f"{FRIDAY}T15:00:00+08:00", result="更换门禁读卡器",
                  finished_at=f"{FRIDAY}T15:00:00+08:00")
    assert case.names() == ["followup"]
    assert case.due("followup_c12") == "2026-11-23T15:00:00+08:00"
    case.complete("followup", "2026-11-21T10:00:00+08:00", satisfied=True)
    assert case.task("manager_review")["lane"] == "cs_manager"
    case.complete("manager_review", "2026-11-21T10:02:00+08:00", review_note="同意结案", reviewed=True)
    case.complete("close", "2026-11-21T10:05:00+08:00", owner_opinion="满意，谢谢", archived=True)
    shown = case.show("2026-11-21T10:05:00+08:00")
    assert shown["status"] == "completed" and shown["violations"] == []
    assert shown["data"]["result"] == "更换门禁读卡器" and shown["data"]["repeat_count"] == 0
    assert case.fire("2026-12-31T00:00:00+08:00") == []


# -- routing -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dept", ["engineering", "security", "cleaning", "front_desk", "finance"])
def test_a_valid_complaint_goes_to_the_lane_of_its_department(desk, dept):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", dept=dept)
    assert [(t["name"], t["lane"]) for t in case.ready()] == [(f"accept_{dept}", dept)]
    case.complete(f"accept_{dept}", f"{FRIDAY}T09:30:00+08:00", as_=dept, contact_note="已联系")
    assert case.task(f"handle_{dept}")["lane"] == dept


def test_a_developer_complaint_is_reported_in_writing_and_the_butler_chases(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", complaint_type="assist", severity="important",
                           category="pipe_burst", dept="developer")
    case.complete("report_developer", f"{FRIDAY}T10:00:00+08:00", written_report="地下室管道爆漏，请地产维修",
                  contact_sheet_no="LX-001")
    assert case.task("developer_solution")["lane"] == "developer_cs"
    case.falls_due("developer_chase", "2026-11-21T10:00:00+08:00")             # important: daily
    assert case.task("chase_developer")["lane"] == "butler"
    for day in range(22, 27):                                                   # the daily sweep
        fired = case.fire(f"2026-11-{day}T10:00:01+08:00")
        assert [t for t in fired if not t.startswith(("c7_", "escalate_"))] == ["developer_chase"]
    # C7 counts through the developer's week too: escalated at 24 h and 48 h, the late follow-up
    # charged once, to the developer's customer service that holds the case
    assert [v for v in case.violations() if v[0] == "C7"] == [
        ("C7", "developer_cs", 100.0), ("C7", "cs_supervisor", 50.0), ("C7", "developer_cs", 30.0)]
    case.falls_due("developer_c10", "2026-11-27T10:00:00+08:00")               # a week after transfer
    assert [t["name"] for t in case.ready()].count("chase_developer") == 7
    assert case.task("alert_c10")["lane"] == "cs_supervisor"
    assert ("C10", "developer_cs", 0.0) in case.violations()
    case.complete("developer_solution", "2026-11-27T12:00:00+08:00", result="已更换管道",
                  finished_at="2026-11-27T12:00:00+08:00")
    assert "followup" in case.names()


def test_a_general_developer_complaint_is_chased_twice_a_week(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", complaint_type="assist", dept="developer")
    case.complete("report_developer", f"{FRIDAY}T10:00:00+08:00", written_report="联系单")
    assert case.due("developer_chase") == "2026-11-23T22:00:00+08:00"          # every 84 h


def test_an_external_complaint_is_coordinated_by_the_butler(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", complaint_type="assist", dept="external")
    assert case.task("report_external")["lane"] == "butler"
    case.complete("report_external", f"{FRIDAY}T11:00:00+08:00", written_report="函告自来水公司", result="已恢复供水",
                  finished_at=f"{FRIDAY}T11:00:00+08:00")
    assert case.names() == ["followup"]


def test_an_invalid_complaint_is_explained_within_2_hours_then_closed(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", complaint_type="invalid")
    assert case.task("explain_invalid")["lane"] == "butler"
    case.falls_due("invalid_c4", f"{FRIDAY}T11:00:00+08:00")
    assert case.task("alert_c4")["lane"] == "cs_supervisor"
    assert case.violations() == [("C4", "butler", 0.0)]
    case.complete("explain_invalid", f"{FRIDAY}T11:30:00+08:00", result="属业主室内自有设施，已耐心解释")
    reviewed_and_closed(case, f"{FRIDAY}T11:35:00+08:00")
    case.complete("alert_c4", f"{FRIDAY}T11:45:00+08:00", note="已提醒管家")
    assert case.show()["status"] == "completed"


@pytest.mark.parametrize("how", ["type", "households"])
def test_a_collective_complaint_goes_to_the_manager_at_once_and_is_answered_at_the_door(desk, how):
    kind = "collective" if how == "type" else "valid"
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", complaint_type=kind, dept="cleaning",
                           households=1 if how == "type" else 5)
    assert case.show()["data"]["complaint_type"] == "collective"
    assert case.task("collective_manager")["lane"] == "cs_manager"
    case.falls_due("collective_c11", f"{FRIDAY}T09:15:00+08:00")
    assert case.task("alert_c11")["lane"] == "dispatch_supervisor"
    case.complete("collective_manager", f"{FRIDAY}T09:20:00+08:00", manager_decision="立即组织清理",
                  inform_general_manager=True, special_event_report="5户投诉垃圾清运不及时")
    case.complete("accept_cleaning", f"{FRIDAY}T09:25:00+08:00", contact_note="已约定")
    case.complete("handle_cleaning", f"{FRIDAY}T10:00:00+08:00", result="已清运",
                  finished_at=f"{FRIDAY}T10:00:00+08:00")
    case.complete("followup", f"{FRIDAY}T11:00:00+08:00", satisfied=True, door_visit_required=False)
    assert case.task("door_visit")["lane"] == "butler"                            # collective: always at the door
    case.falls_due("door_visit_c13", "2026-11-21T11:00:00+08:00")
    assert ("C13", "butler", 30.0) in case.violations()


def test_a_slow_classification_breaches_c11_at_once_charged_to_the_butler_not_the_manager(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00", households=6)
    case.complete("intake", f"{FRIDAY}T09:04:00+08:00", receiver="小王")
    case.complete("classify", f"{FRIDAY}T09:20:00+08:00", complaint_type="valid", severity="general",
                  category="noise", responsible_dept="security")
    # overdue when it got to the manager: the butler held it at 09:15 (and at 09:05: C1)
    assert case.violations() == [("C1", "butler", 30.0), ("C11", "butler", 0.0)]
    assert "alert_c11" in case.names() and "collective_manager" in case.names()
    history = case.show()["data"]
    assert history["collective"] is True
    assert case.fire(f"{FRIDAY}T12:00:00+08:00") == []                     # fired once, not again


def test_a_fast_classification_and_a_slow_manager_charge_c11_to_the_manager(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00", households=6)
    case.complete("intake", f"{FRIDAY}T09:02:00+08:00", receiver="小王")
    case.complete("classify", f"{FRIDAY}T09:04:30+08:00", complaint_type="collective", severity="general",
                  category="noise", responsible_dept="security")
    assert case.violations() == []
    case.claim("collective_manager", f"{FRIDAY}T09:07:00+08:00", "cs_manager")
    case.falls_due("collective_c11", f"{FRIDAY}T09:15:00+08:00")
    assert case.violations() == [("C11", "cs_manager", 0.0)]


def test_a_slow_classification_breaches_c4_charged_to_the_butler_not_the_department(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.complete("intake", f"{FRIDAY}T09:03:00+08:00", receiver="小王")
    case.complete("classify", f"{FRIDAY}T11:10:00+08:00", complaint_type="valid", severity="general",
                  category="noise", responsible_dept="engineering")
    assert sorted(case.violations()) == [("C1", "butler", 30.0), ("C2", "butler", 0.0), ("C4", "butler", 0.0)]
    assert "alert_c4" in case.names() and "accept_engineering" in case.names()


def test_c4_passing_while_the_butler_classifies_is_the_butlers_after_the_managers_decision_too(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.complete("intake", f"{FRIDAY}T09:03:00+08:00", receiver="小王")
    case.complete("classify", f"{FRIDAY}T11:10:00+08:00", complaint_type="valid", severity="major",
                  category="noise", responsible_dept="engineering")
    # C4 guards the department's task
    assert sorted(case.violations()) == [("C1", "butler", 30.0), ("C2", "butler", 0.0)]
    case.complete("major_decision", f"{FRIDAY}T11:30:00+08:00", manager_decision="先安抚")
    assert ("C4", "butler", 0.0) in case.violations()           # the butler held it at 11:00


def test_a_manager_deciding_past_c4_is_charged_for_it(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.complete("intake", f"{FRIDAY}T09:03:00+08:00", receiver="小王")
    case.complete("classify", f"{FRIDAY}T09:04:00+08:00", complaint_type="valid", severity="major",
                  category="noise", responsible_dept="engineering")
    case.complete("major_decision", f"{FRIDAY}T11:30:00+08:00", manager_decision="先安抚")
    assert case.violations() == [("C4", "cs_manager", 0.0)]


def test_four_households_stay_what_was_chosen(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", households=4)
    assert case.names() == ["accept_engineering"]


def test_a_major_complaint_waits_for_the_managers_decision(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", severity="major", category="elevator_trapped")
    assert "major_decision" in case.names() and "accept_engineering" not in case.names()
    assert case.task("major_decision")["lane"] == "cs_manager" and case.task("major_decision")["priority"] == 2
    case.complete("major_decision", f"{FRIDAY}T10:00:00+08:00", manager_decision="先安抚，待维保报告后协商")
    assert "accept_engineering" in case.names()


# -- deadlines ---------------------------------------------------------------------------------------

def test_c1_dispatch_within_5_minutes_charges_the_person_on_duty_30_yuan(desk, wuye):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.claim("intake", f"{FRIDAY}T09:01:00+08:00", "dispatcher")
    case.falls_due("c1_5min", f"{FRIDAY}T09:05:00+08:00")
    assert case.task("alert_c1")["lane"] == "dispatch_supervisor"
    assert case.violations() == [("C1", "dispatcher", 30.0)]
    case.complete("intake", f"{FRIDAY}T09:07:00+08:00", receiver="小王")
    assert "classify" in case.names()


def test_c1_runs_until_the_department_has_the_case_not_until_the_intake_is_saved(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.complete("intake", f"{FRIDAY}T09:01:00+08:00", receiver="小王")        # recorded in a minute
    case.claim("classify", f"{FRIDAY}T09:02:00+08:00", "butler")
    assert case.due("c1_5min") == f"{FRIDAY}T09:05:00+08:00"
    case.complete("classify", f"{FRIDAY}T09:05:00+08:00", complaint_type="valid", severity="general",
                  category="noise", responsible_dept="engineering")                # dispatched at 09:05:00
    assert "accept_engineering" in case.names() and "c1_5min" not in [w["name"] for w in case.show()["waiting"]]
    assert case.violations() == []
    late = desk.start(f"{FRIDAY}T09:00:00+08:00")
    late.complete("intake", f"{FRIDAY}T09:01:00+08:00", receiver="小王")
    late.claim("classify", f"{FRIDAY}T09:02:00+08:00", "butler")
    late.complete("classify", f"{FRIDAY}T09:05:01+08:00", complaint_type="valid", severity="general",
                  category="noise", responsible_dept="engineering")                # one second late
    assert late.violations() == [("C1", "butler", 30.0)]                           # who held it then


def test_c2_times_the_butler_from_classification_in_the_inbox(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.complete("intake", f"{FRIDAY}T09:02:00+08:00", receiver="小王")        # in the butler's inbox at 09:02
    case.claim("classify", f"{FRIDAY}T09:03:00+08:00", "butler")
    case.falls_due("classify_c2", f"{FRIDAY}T09:22:00+08:00")
    assert case.task("alert_c2")["lane"] == "cs_supervisor"
    assert ("C2", "butler", 0.0) in case.violations()
    quick = desk.classified(f"{FRIDAY}T09:00:00+08:00")                            # classified within 3 minutes
    assert "classify_c2" not in [w["name"] for w in quick.show()["waiting"]]
    assert quick.fire(f"{FRIDAY}T10:00:00+08:00") == [] and quick.violations() == []


def test_the_violation_shows_in_wuye_show_with_amount_and_responsible_person(wuye, db):
    deploy_files(db, BPMN)
    case = Desk(db).start(f"{FRIDAY}T09:00:00+08:00")
    case.claim("intake", f"{FRIDAY}T09:00:30+08:00", "demo")
    assert wuye("timers", now=f"{FRIDAY}T09:05:01+08:00").code == 0
    shown = wuye("show", str(case.id)).json
    (violation,) = shown["violations"]
    assert (violation["deadline"], violation["responsible"], violation["responsible_kind"], violation["amount"]) == \
        ("C1", "demo", "user", 30.0)


def test_c3_c4_guard_the_departments_first_response(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")          # classified 09:05
    case.falls_due("accept_engineering_c4", f"{FRIDAY}T11:00:00+08:00")
    case.falls_due("accept_engineering_c3", f"{FRIDAY}T17:00:00+08:00")        # 8 working hours
    alerts = sorted(t["name"] for t in case.ready() if t["lane"] == "cs_supervisor")
    assert alerts == ["alert_c3", "alert_c4"]
    assert sorted(v[0] for v in case.violations()) == ["C3", "C4"]
    assert case.task("accept_engineering")                        # the work goes on


@pytest.mark.parametrize(("received", "due"), [
    (f"{FRIDAY}T17:00:00+08:00", "2026-11-23T16:00:00+08:00"),     # Friday 17:00: ½ h Friday + 7½ h Monday
    (f"{FRIDAY}T18:00:00+08:00", "2026-11-21T18:00:00+08:00"),     # after hours: 24 h
    ("2026-09-30T17:00:00+08:00", "2026-10-08T16:00:00+08:00"),    # eve of National Day: resumes 8 Oct
    ("2026-10-01T10:00:00+08:00", "2026-10-02T10:00:00+08:00"),    # on the holiday: 24 h
])
def test_c3_counts_working_hours_only_when_received_in_working_time(desk, received, due):
    case = desk.classified(received)
    case.falls_due("accept_engineering_c3", due)
    assert ("C3", "engineering", 0.0) in case.violations()


def test_c5_is_12_hours_after_acceptance_then_a_feedback_is_due_every_24_hours(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")
    case.claim("accept_engineering", f"{FRIDAY}T09:20:00+08:00", "engineering")
    case.complete("accept_engineering", f"{FRIDAY}T09:24:00+08:00", contact_note="已联系")   # inside C2
    case.claim("handle_engineering", f"{FRIDAY}T09:25:00+08:00", "engineering")
    case.falls_due("handle_engineering_c5", f"{FRIDAY}T21:24:00+08:00")
    assert case.task("feedback_engineering")["lane"] == "engineering"
    assert case.due("feedback_engineering_late") == "2026-11-21T21:24:01+08:00"    # its own deadline
    case.falls_due("c7_24h", "2026-11-21T09:00:00+08:00")
    case.complete("escalate_supervisor", "2026-11-21T09:30:00+08:00", escalation_note="已安抚业主")
    case.falls_due("handle_engineering_c6", "2026-11-21T21:24:00+08:00")
    assert "feedback_engineering_late" not in case.fire("2026-11-21T21:24:01+08:00")
    assert "feedback_engineering_late" in case.fire("2026-11-21T21:24:02+08:00")   # the first never came
    case.falls_due("c7_48h", "2026-11-22T09:00:00+08:00")
    case.complete("escalate_manager", "2026-11-22T09:30:00+08:00", escalation_note="经理已协调")
    case.falls_due("handle_engineering_c6", "2026-11-22T21:24:00+08:00")       # and again
    assert sorted(t["name"] for t in case.ready() if t["name"].startswith("feedback")) == ["feedback_engineering"] * 3
    assert case.violations() == [("C5", "engineering", 0.0), ("C6", "engineering", 50.0)]
    case.complete("handle_engineering", "2026-11-23T08:00:00+08:00", result="完成",
                  finished_at="2026-11-23T08:00:00+08:00")
    assert case.fire("2026-11-24T00:00:00+08:00") == []                      # the cycle stopped
    assert [v for v in case.violations() if v[2]] == [("C6", "engineering", 50.0)] * 2     # the second, too


def test_c5_c6_feedback_given_within_minutes_is_never_fined(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系")
    case.fire(f"{FRIDAY}T21:20:01+08:00")                                     # C5: a feedback is due
    case.complete("feedback_engineering", f"{FRIDAY}T21:30:00+08:00", progress="等配件")
    case.falls_due("c7_24h", "2026-11-21T09:00:00+08:00")
    case.complete("escalate_supervisor", "2026-11-21T09:30:00+08:00", escalation_note="已安抚业主")
    for day in ("21", "22"):
        case.fire(f"2026-11-{day}T21:20:01+08:00")                           # C6: the next one is due
        case.complete("feedback_engineering", f"2026-11-{day}T21:30:00+08:00", progress="施工中")
        if day == "21":
            case.fire("2026-11-22T09:00:01+08:00")
            case.complete("escalate_manager", "2026-11-22T09:30:00+08:00", escalation_note="经理已协调")
    case.complete("handle_engineering", "2026-11-23T08:00:00+08:00", result="完成",
                  finished_at="2026-11-23T08:00:00+08:00")
    assert [v for v in case.violations() if v[2]] == []                     # ¥0: no fine for compliant feedback
    assert case.violations() == [("C5", "engineering", 0.0)]


def test_c6_a_missing_feedback_one_second_after_its_deadline_costs_50_yuan(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系")
    case.fire(f"{FRIDAY}T21:20:01+08:00")
    case.claim("feedback_engineering", f"{FRIDAY}T21:21:00+08:00", "engineering")
    case.falls_due("feedback_engineering_late", "2026-11-21T21:20:01+08:00")
    assert ("C6", "engineering", 50.0) in case.violations()


# -- C7 (M1 第十一条, issue 12's fix): from received_at, whatever step the case is at ----------------------

def test_c7_a_case_its_department_never_accepts_escalates_at_24_and_48_hours(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")                     # accept_engineering stays open
    case.falls_due("c7_24h", "2026-11-21T09:00:00+08:00")
    assert case.task("escalate_supervisor")["lane"] == "cs_supervisor"
    assert [v for v in case.violations() if v[0] == "C7"] == []             # escalated: nothing to fine yet
    case.complete("escalate_supervisor", "2026-11-21T10:00:00+08:00", escalation_note="已安抚业主，催工程部接单")
    case.falls_due("c7_48h", "2026-11-22T09:00:00+08:00")
    assert case.task("escalate_manager")["lane"] == "cs_manager"
    case.claim("escalate_manager", "2026-11-22T09:10:00+08:00", "cs_manager")
    case.falls_due("escalate_manager_c7", "2026-11-22T11:00:01+08:00")     # the manager did not follow up
    assert [v for v in case.violations() if v[0] == "C7"] == [
        ("C7", "engineering", 100.0), ("C7", "cs_manager", 50.0), ("C7", "engineering", 30.0)]
    kinds = {(v["responsible"], v["amount"]): v.get("responsible_kind") for v in case.show()["violations"]
             if v["deadline"] == "C7"}
    assert kinds.get(("engineering", 100.0)) in (None, "group")             # unclaimed: the group, marked so


def test_c7_a_late_escalation_charges_the_three_payers_once_per_case(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")
    case.claim("accept_engineering", f"{FRIDAY}T09:20:00+08:00", "engineering")
    case.complete("accept_engineering", f"{FRIDAY}T09:24:00+08:00", contact_note="已联系")
    case.claim("handle_engineering", f"{FRIDAY}T09:25:00+08:00", "engineering")
    case.fire("2026-11-21T09:00:01+08:00")
    case.claim("escalate_supervisor", "2026-11-21T09:05:00+08:00", "cs_supervisor")
    case.falls_due("escalate_supervisor_c7", "2026-11-21T11:00:01+08:00")
    c7 = [v for v in case.violations() if v[0] == "C7"]
    assert c7 == [("C7", "engineering", 100.0), ("C7", "cs_supervisor", 50.0), ("C7", "engineering", 30.0)]
    assert sum(v[2] for v in c7) == 180.0
    case.falls_due("c7_48h", "2026-11-22T09:00:00+08:00")
    case.falls_due("escalate_manager_c7", "2026-11-22T11:00:01+08:00")     # late again: not charged twice
    assert [v for v in case.violations() if v[0] == "C7"] == c7


def test_c7_counts_during_classification_and_charges_who_holds_the_case(desk):
    case = desk.start(f"{FRIDAY}T09:00:00+08:00")
    case.complete("intake", f"{FRIDAY}T09:01:00+08:00", receiver="调度员小王")
    case.claim("classify", f"{FRIDAY}T09:02:00+08:00", "butler")
    case.falls_due("c7_24h", "2026-11-21T09:00:00+08:00")
    case.falls_due("escalate_supervisor_c7", "2026-11-21T11:00:01+08:00")
    assert [v for v in case.violations() if v[0] == "C7"] == [
        ("C7", "butler", 100.0), ("C7", "cs_supervisor", 50.0), ("C7", "butler", 30.0)]


def test_c7_a_case_resolved_one_second_before_24_hours_never_escalates(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系",
                  agreed_reply_at="2026-11-21T09:00:00+08:00")
    case.fire("2026-11-21T08:59:58+08:00")
    case.complete("handle_engineering", "2026-11-21T08:59:59+08:00", result="已修复",
                  finished_at="2026-11-21T08:59:59+08:00")
    assert "c7_24h" not in case.fire("2026-11-21T09:00:01+08:00")
    assert "c7_24h" not in [w["name"] for w in case.show()["waiting"]]
    assert [n for n in case.names() if n.startswith("escalate")] == []
    assert [v for v in case.violations() if v[0] == "C7"] == []


def test_c7_an_invalid_complaint_explained_in_time_ends_the_count(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", complaint_type="invalid")
    case.complete("explain_invalid", f"{FRIDAY}T10:00:00+08:00", result="已解释")
    assert "c7_24h" not in [w["name"] for w in case.show()["waiting"]]


def test_c5_takes_the_agreed_time_and_a_corridor_light_closes_the_same_day(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", category="corridor_light")
    case.complete("accept_engineering", f"{FRIDAY}T09:30:00+08:00", contact_note="已联系",
                  agreed_reply_at="2026-11-21T12:00:00+08:00")
    case.falls_due("handle_engineering_c5", f"{FRIDAY}T23:59:59+08:00")        # same day beats the agreed time
    other = desk.classified(f"{FRIDAY}T09:00:00+08:00", category="noise")
    other.complete("accept_engineering", f"{FRIDAY}T09:30:00+08:00", contact_note="已联系",
                   agreed_reply_at="2026-11-21T12:00:00+08:00")
    assert other.due("handle_engineering_c5") == "2026-11-21T12:00:00+08:00"


def test_c8_a_result_reported_the_next_day_is_charged_to_the_handler(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", dept="security")
    case.complete("accept_security", f"{FRIDAY}T09:24:00+08:00", as_="security", contact_note="已联系",
                  agreed_reply_at="2026-11-21T12:00:00+08:00")   # C5 out of the way
    case.complete("handle_security", f"{FRIDAY}T23:59:59+08:00", as_="demo", result="已处理",
                  finished_at=f"{FRIDAY}T10:00:00+08:00")
    assert case.violations() == []                                                  # same day: on time
    late = desk.classified(f"{FRIDAY}T09:00:00+08:00", dept="security")
    late.complete("accept_security", f"{FRIDAY}T09:24:00+08:00", as_="security", contact_note="已联系",
                  agreed_reply_at="2026-11-21T12:00:00+08:00")   # C5 out of the way
    late.complete("handle_security", "2026-11-21T00:00:01+08:00", as_="demo", result="已处理",
                  finished_at=f"{FRIDAY}T10:00:00+08:00")
    assert late.violations() == [("C8", "demo", 50.0)]
    assert late.names() == ["followup"]


def test_c9_a_developer_transfer_gets_the_result_back_within_12_hours(desk):
    case = desk.handled(f"{FRIDAY}T09:00:00+08:00", channel="developer_transfer")   # finished 11:00
    assert case.task("report_back_developer")["lane"] == "butler"
    case.falls_due("report_back_c9", f"{FRIDAY}T23:00:00+08:00")
    assert case.task("alert_c9")["lane"] == "cs_supervisor"
    case.complete("report_back_developer", "2026-11-21T08:00:00+08:00", developer_feedback="已处理完毕")
    assert case.names() == ["alert_c9", "followup"]


def test_a_written_complaint_gets_a_written_reply(desk):
    case = desk.handled(f"{FRIDAY}T09:00:00+08:00", channel="letter")
    case.complete("written_reply", f"{FRIDAY}T12:00:00+08:00", written_reply_text="回复函")
    assert case.names() == ["followup"]


def test_c12_follow_up_within_3_days_charges_the_dispatch_supervisor(desk):
    case = desk.handled(f"{FRIDAY}T09:00:00+08:00")
    case.falls_due("followup_c12", "2026-11-23T11:00:00+08:00")
    assert case.task("alert_c12")["lane"] == "dispatch_supervisor"
    assert case.violations() == [("C12", "dispatch_supervisor", 50.0), ("C12", "butler", 30.0)]   # and who should call


def test_c13_door_visit_on_the_agreed_time(desk):
    case = desk.handled(f"{FRIDAY}T09:00:00+08:00")
    case.complete("followup", f"{FRIDAY}T14:00:00+08:00", satisfied=False, door_visit_required=True,
                  door_visit_at="2026-11-22T10:00:00+08:00")
    case.falls_due("door_visit_c13", "2026-11-22T10:00:00+08:00")
    case.complete("door_visit", "2026-11-22T11:00:00+08:00", satisfied=True, visit_note="业主签字确认")
    assert "manager_review" in case.names()


# -- repeat complaints -------------------------------------------------------------------------------

def test_an_unsatisfied_owner_sends_it_back_to_the_supervisor_until_satisfied(desk):
    case = desk.handled(f"{FRIDAY}T09:00:00+08:00")
    for n, day in enumerate(("2026-11-21", "2026-11-22"), start=1):
        case.complete("followup", f"{day}T09:00:00+08:00", satisfied=False)
        assert case.task("handle_repeat")["lane"] == "cs_supervisor"
        assert case.show()["data"]["repeat_count"] == n
        case.complete("handle_repeat", f"{day}T15:00:00+08:00", review="前期更换灯泡后仍闪烁", result="更换线路",
                      finished_at=f"{day}T15:00:00+08:00")
    satisfied_and_closed(case, "2026-11-23T09:00:00+08:00")
    shown = case.show()
    assert shown["status"] == "completed" and shown["violations"] == []
    assert [t["name"] for t in shown["done"]].count("followup") == 3


def test_a_repeat_complaint_left_open_gets_progress_feedback(desk):
    case = desk.handled(f"{FRIDAY}T09:00:00+08:00")
    case.complete("followup", f"{FRIDAY}T14:00:00+08:00", satisfied=False)
    case.falls_due("handle_repeat_c5", "2026-11-21T02:00:00+08:00")
    assert case.task("feedback_repeat")["lane"] == "cs_supervisor"
    case.falls_due("handle_repeat_c6", "2026-11-22T02:00:00+08:00")
    assert "feedback_repeat_late" in case.fire("2026-11-22T02:00:02+08:00")
    assert ("C6", "cs_supervisor", 50.0) in case.violations()                # the first feedback never came


# -- category rules (M4) -----------------------------------------------------------------------------

def test_elevator_trapped_records_the_times_and_an_outage_over_4_hours_updates_the_notice(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", category="elevator_trapped")
    assert case.names() == ["accept_engineering", "elevator_record"]
    case.complete("elevator_record", f"{FRIDAY}T09:40:00+08:00", trapped_at=f"{FRIDAY}T08:50:00+08:00",
                  maintenance_arrived_at=f"{FRIDAY}T09:20:00+08:00", impact="受到惊吓")
    assert case.task("elevator_service")["lane"] == "engineering"
    case.falls_due("elevator_4h", f"{FRIDAY}T13:00:00+08:00")
    assert case.task("elevator_notice")["lane"] == "butler"
    data = case.show()["data"]
    assert "trapped_at" not in data or data["trapped_at"] == f"{FRIDAY}T08:50:00+08:00"


def test_elevator_repair_restored_within_4_hours_needs_no_new_notice(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", category="elevator_repair")
    case.complete("elevator_service", f"{FRIDAY}T12:00:00+08:00", restored_at=f"{FRIDAY}T11:50:00+08:00")
    assert "elevator_4h" not in case.fire(f"{FRIDAY}T13:00:01+08:00")
    assert "elevator_notice" not in case.names()


def test_smoke_detector_gets_a_progress_call_after_2_days(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00", category="smoke_detector")
    case.falls_due("smoke_wait", "2026-11-22T09:05:00+08:00")
    assert case.task("smoke_call")["lane"] == "butler"


# -- the case library --------------------------------------------------------------------------------

@pytest.mark.once
def test_the_case_library_guides_every_category_of_the_bpmn_in_chinese():
    from lxml import etree
    root = etree.parse(str(BPMN)).getroot()
    field = found(root.find(".//{http://camunda.org/schema/1.0/bpmn}formField[@id='category']"),
                  "the category form field")
    enum = {attr(v, "id"): v.get("name") for v in field.iterfind("{http://camunda.org/schema/1.0/bpmn}value")}
    assert len(enum) == 20 and set(case_library.categories()) == set(enum)
    for category, name in enum.items():
        guide = found(case_library.guide_for(category), f"the guide for {category}")
        assert guide["name"] == name and guide["guide"] and guide["source"].startswith("M4"), category
    trapped = found(case_library.guide_for("elevator_trapped"), "the guide for elevator_trapped")
    assert any("被困时间" in hint for hint in trapped["risk_hints"])
    corridor_light = found(case_library.guide_for("corridor_light"), "the guide for corridor_light")
    assert any("今日维修完成" in s for s in corridor_light["scripts"])
    assert case_library.guide_for("no_such_category") is None
    trapped["guide"].clear()
    assert found(case_library.guide_for("elevator_trapped"), "elevator_trapped")["guide"]     # callers get copies


@pytest.mark.once
def test_a_broken_case_library_is_refused_with_the_entry_named(tmp_path, monkeypatch):
    bad = tmp_path / "cases.json"
    bad.write_text(json.dumps({"noise": {"name": "噪音", "guide": "not a list"}}), encoding="utf-8")
    monkeypatch.setenv("WUYE_CASE_LIBRARY", str(bad))
    with pytest.raises(case_library.CaseLibraryInvalid, match=r"noise\.guide"):
        case_library.guide_for("noise")
    monkeypatch.setenv("WUYE_CASE_LIBRARY", str(tmp_path / "missing.json"))
    assert case_library.guide_for("noise") is None


# -- issue 11 defect 1: the agreed reply time and the progress feedbacks ----------------------------------

def test_a_past_agreed_reply_time_is_refused_and_no_feedback_outlives_the_handling(desk):
    case = desk.classified(f"{FRIDAY}T09:00:00+08:00")
    with pytest.raises(BadInput) as refused:              # the appointment may not be in the past
        case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系",
                      agreed_reply_at=f"{FRIDAY}T08:00:00+08:00")
    assert "agreed_reply_at" in refused.value.fields
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系",
                  agreed_reply_at=f"{FRIDAY}T10:00:00+08:00")
    assert "handle_engineering_c5" in case.fire(f"{FRIDAY}T10:00:01+08:00")
    assert [n for n in case.names() if n.startswith("feedback")] == ["feedback_engineering"]     # one, not two
    case.complete("handle_engineering", f"{FRIDAY}T11:00:00+08:00", result="已修复",
                  finished_at=f"{FRIDAY}T11:00:00+08:00")
    assert case.names() == ["followup"]                   # the open feedback ended with the handling
    assert case.fire("2026-11-22T12:00:00+08:00") == [] and case.violations() == [("C5", "engineering", 0.0)]
