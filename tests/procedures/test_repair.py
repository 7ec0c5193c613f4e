"""Process `repair` (procedures.md §4): routing by the warranty table, the developer's 联系单 with
its deadline and takeover (R5), the engineering work order with paid service, rework until the work
order is accepted and the owner satisfied, and the deadlines R1–R4 — each just before and after due.

Every step goes through the engine's use cases in its own transaction, so the workflow is saved and
loaded between all steps, as in production. Times are Asia/Shanghai."""
from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator

import pytest

from engine.errors import BadInput
from engine.rules import penalties
from engine.usecases.init import initialize
from engine.usecases.instances import show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from engine.usecases.timers import fire_due_timers
from tests.support import PROCESSES, act, attr, database, deploy_files, deployed_meta, found, initialized_sqlite

FILES = ("repair.bpmn", "repair_warranty.dmn")
FOLLOW_UP_OK = {"timeliness": "good", "attitude": "good", "quality": "good", "satisfied": True}
REPAIRED = {"work_hours": 1.5, "staff": "王师傅", "headcount": 1, "repair_result": "已修复"}


def files(dmn: bytes | None = None) -> list[tuple[str, bytes]]:
    out = [(name, (PROCESSES / name).read_bytes()) for name in FILES]
    return out if dmn is None else [out[0], ("repair_warranty.dmn", dmn)]


class Desk:
    """The customer-service desk: drives repair instances through the use cases, one transaction
    per step, acting as the demo user named after each task's lane."""

    def __init__(self, db):
        self.db = db

    def deploy(self, dmn: bytes | None = None, when: str = "2026-11-02T08:00:00+08:00") -> dict:
        return deploy_files(self.db, *files(dmn), at=when)

    def start(self, when: str, **data) -> int:
        report = {"reporter": "张先生", "room": "3-2-1102", "phone": "13800000000", "content": "卫生间漏水",
                  "location": "indoor", "category": "other", "delivered_on": "2024-06-01", **data}
        return act(self.db, start_instance, as_="front_desk", at=when, process_id="repair", data=report)["instance"]

    def show(self, instance: int, when: str = "2026-11-02T08:00:00+08:00") -> dict:
        return act(self.db, show_instance, at=when, instance_id=instance)

    def ready(self, instance: int) -> dict[str, dict]:
        return {t["name"]: t for t in self.show(instance)["ready"]}

    def do(self, instance: int, name: str, when: str, **data) -> dict:
        task = self.ready(instance)[name]
        return act(self.db, complete_task, as_=task["lane"], at=when, task_id=task["id"], data=data)

    def tick(self, instance: int, when: str) -> list[str]:
        """Run the timer sweep; the timers that fired for this instance (others may share the db)."""
        return [f["timer"] for f in act(self.db, fire_due_timers, as_=None, at=when) if f["instance"] == instance]

    def violations(self, instance: int) -> list[tuple[str, str]]:
        return [(v["deadline"], v["responsible"]) for v in self.show(instance)["violations"]]


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[Desk]:
    """One SQLite database for the module (instances are independent; initializing is the slow part)."""
    db = initialized_sqlite(tmp_path_factory.mktemp("repair"))
    d = Desk(db)
    d.deploy()
    yield d
    db.dispose()


@pytest.fixture
def desk_on_both(db) -> Desk:
    d = Desk(db)
    d.deploy()
    return d


def route_of(desk: Desk, instance: int) -> str:
    return desk.show(instance)["data"]["route"]


# -- deploy -----------------------------------------------------------------------------------------

@pytest.mark.once
def test_the_repair_process_deploys_with_its_decision_table_and_carries_the_roles_of_the_procedures(desk):
    meta = deployed_meta(desk.db, "repair")
    assert meta["name"] == "业主报修" and meta["decisions"].keys() == {"repair_warranty"}
    assert set(meta["lanes"]) == {"front_desk", "developer_cs", "developer_engineering", "engineering",
                                  "cs_supervisor", "butler", "dispatch_supervisor"}
    assert "front_desk" in meta["start_groups"]
    assert [f["id"] for f in meta["start_form"]] == ["reporter", "room", "phone", "content", "location",
                                                     "category", "delivered_on", "reported_at"]
    start = {f["id"]: f for f in meta["start_form"]}
    assert start["reported_at"]["default"] == "now" and start["delivered_on"]["type"] == "date"
    assert [o["id"] for o in start["location"]["options"]] == [
        "indoor", "basement", "meter_box", "heating_shaft", "corridor", "roof", "grounds", "lobby", "vacant_unit"]
    assert [o["id"] for o in start["category"]["options"]] == [
        "waterproofing", "heating_cooling", "decoration", "installation", "hot_water", "other"]
    elements = meta["elements"]
    user_tasks = {k: v for k, v in elements.items() if v["type"] == "userTask"}
    assert all(v["lane"] in meta["lanes"] for v in user_tasks.values())
    fields = {f["id"]: f for v in user_tasks.values() for f in v.get("form", [])}
    for decision in ("developer_confirmed", "developer_deadline", "quote_amount", "owner_consent", "accepted",
                     "satisfied"):
        assert decision in fields
    assert all(f["readonly"] for v in user_tasks.values() for f in v.get("form", []) if f["id"] == "route")
    timers = {k: v for k, v in elements.items() if v["type"] == "boundaryEvent"}
    assert sorted(v["properties"]["deadline"] for v in timers.values()) == ["R1", "R2", "R3", "R4", "R5", "R5"]
    assert all(v["documentation"] for v in timers.values())
    assert [v["interrupting"] for v in timers.values() if v["properties"]["deadline"] != "R5"] == [False] * 4


@pytest.mark.once
def test_init_deploys_the_repair_process_and_its_table_from_the_processes_folder(tmp_path, sqlite_url):
    folder = tmp_path / "processes"
    folder.mkdir()
    for name in FILES:
        shutil.copy(PROCESSES / name, folder / name)
    db = database(sqlite_url)
    try:
        first = act(db, initialize, as_=None, at="2026-11-02T08:00:00+08:00", processes_dir=folder)
        again = act(db, initialize, as_=None, at="2026-11-03T08:00:00+08:00", processes_dir=folder)
    finally:
        db.dispose()
    assert {(d["kind"], d["id"], d["version"], d["new"]) for d in first["deployed"]} == {
        ("dmn", "repair_warranty_definitions", 1, True), ("bpmn", "repair", 1, True)}
    assert {d["new"] for d in again["deployed"]} == {False}


def test_wuye_init_deploys_the_processes_folder_with_the_repair_process_and_its_table(wuye):
    r = wuye("init", now="2026-11-02T08:00:00+08:00")
    assert r.code == 0, r.err
    deployed = {(d["kind"], d["id"]) for d in r.json["deployed"]}
    assert {("bpmn", "repair"), ("dmn", "repair_warranty_definitions")} <= deployed
    report = ('{"reporter": "李女士", "room": "1-1-101", "phone": "13900000000", "content": "外墙渗水",'
              ' "location": "indoor", "category": "waterproofing", "delivered_on": "2023-05-01"}')
    started = wuye("start", "repair", "--as", "front_desk", "--data", report, now="2026-11-20T09:00:00+08:00")
    assert started.code == 0, started.err
    assert [t["name"] for t in started.json["ready"]] == ["issue_contact"]


@pytest.mark.once
def test_the_repair_process_alone_is_refused_without_its_decision_table_and_built_on_the_stored_one(
        sqlite_db, desk):
    with pytest.raises(BadInput, match="repair_warranty"):
        deploy_files(sqlite_db, *files()[:1])
    again = deploy_files(desk.db, *files()[:1], at="2026-11-03T08:00:00+08:00")
    assert list(again) == ["repair"] and again["repair"]["new"] is False


# -- the diagram process owners open in bpmn-js --------------------------------------------------------

def _diagram():
    from engine.deploy.safe_xml import parse_xml
    root = parse_xml((PROCESSES / "repair.bpmn").read_bytes(), "repair.bpmn")
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
    def bounds(shape) -> tuple[float, ...]:
        box = found(shape.find("dc:Bounds", ns), f"dc:Bounds of the shape of {shape.get('bpmnElement')}")
        return tuple(float(attr(box, k)) for k in ("x", "y", "width", "height"))
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {e.get("bpmnElement"): [(float(attr(p, "x")), float(attr(p, "y"))) for p in e.iterfind("di:waypoint", ns)]
             for e in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    proc = found(root.find("bpmn:process", ns), "bpmn:process in repair.bpmn")
    lanes = {lane.get("id"): [r.text for r in lane.iterfind("bpmn:flowNodeRef", ns)]
             for lane in proc.iter(f"{{{ns['bpmn']}}}lane")}
    nodes = {n.get("id"): n for n in proc if n.get("id") and str(n.tag).split("}")[1] not in ("laneSet", "sequenceFlow",
                                                                                        "documentation")}
    flows = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in proc.iterfind("bpmn:sequenceFlow", ns)}
    return shapes, edges, lanes, nodes, flows


def _inside(point, box, margin=0.0):
    x, y, w, h = box
    return x + margin < point[0] < x + w - margin and y + margin < point[1] < y + h - margin


@pytest.mark.once
def test_the_diagram_has_lanes_as_bands_and_a_shape_for_every_element_in_its_own_lane():
    shapes, edges, lanes, nodes, flows = _diagram()
    assert set(nodes) <= set(shapes) and set(flows) == set(edges)
    bands = sorted((shapes[lane] for lane in lanes), key=lambda b: b[1])
    assert len({(b[0], b[2]) for b in bands}) == 1                          # same x and width
    assert all(a[1] + a[3] == b[1] for a, b in itertools.pairwise(bands))       # stacked, no gaps
    pool = shapes["repair_participant"]
    assert bands[0][1] == pool[1] and bands[-1][1] + bands[-1][3] == pool[1] + pool[3]
    for lane, refs in lanes.items():
        x, y, w, h = shapes[lane]
        for ref in refs:
            sx, sy, sw, sh = shapes[ref]
            cy = sy + sh / 2
            assert x < sx and sx + sw < x + w and y < cy < y + h, f"{ref} is not drawn inside lane {lane}"
    assert sorted(r for refs in lanes.values() for r in refs) == sorted(nodes)


@pytest.mark.once
def test_the_diagram_has_no_overlapping_shapes_and_no_flow_through_a_shape():
    shapes, edges, _lanes, nodes, flows = _diagram()
    hosts = {n: nodes[n].get("attachedToRef") for n in nodes if nodes[n].get("attachedToRef")}
    boxes = {n: shapes[n] for n in nodes}
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if hosts.get(a) == b or hosts.get(b) == a:
                continue
            ax, ay, aw, ah = boxes[a]
            bx, by, bw, bh = boxes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"
    for flow, points in edges.items():
        source, target = flows[flow]
        assert len(points) >= 2
        assert not _inside(points[0], boxes[source], 1) and not _inside(points[-1], boxes[target], 1)
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow} has a diagonal segment"
            samples = [(x1 + (x2 - x1) * k / 40, y1 + (y2 - y1) * k / 40) for k in range(41)]
            for other, box in boxes.items():
                if other in (source, target) or hosts.get(source) == other:
                    continue
                assert not any(_inside(p, box, -4) for p in samples), f"{flow} runs through {other}"


@pytest.mark.once
def test_every_element_is_reached_and_leads_on():
    _shapes, _edges, _lanes, nodes, flows = _diagram()
    sources, targets = {s for s, _ in flows.values()}, {t for _, t in flows.values()}
    kinds = {n: el.tag.split("}")[1] for n, el in nodes.items()}
    assert {n for n, k in kinds.items() if k not in ("startEvent", "boundaryEvent")} <= targets
    assert {n for n, k in kinds.items() if k != "endEvent"} <= sources


# -- routing by the warranty table --------------------------------------------------------------------

ROUTING = [  # category, delivered_on, reported_at, route
    # waterproofing: 5 years, the anniversary included
    ("waterproofing", "2021-06-01", "2026-05-31T10:00:00+08:00", "developer"),
    ("waterproofing", "2021-06-01", "2026-06-01T23:59:00+08:00", "developer"),
    ("waterproofing", "2021-06-01", "2026-06-01T16:30:00+00:00", "engineering"),   # 06-02 00:30 in Shanghai
    ("waterproofing", "2021-06-01", "2026-06-02T08:00:00+08:00", "engineering"),
    # decoration and installation: 2 years; a leap-day handover ends on Feb 28
    ("decoration", "2024-03-10", "2026-03-09T10:00:00+08:00", "developer"),
    ("decoration", "2024-03-10", "2026-03-10T10:00:00+08:00", "developer"),
    ("decoration", "2024-03-10", "2026-03-11T10:00:00+08:00", "engineering"),
    ("installation", "2024-02-29", "2026-02-27T10:00:00+08:00", "developer"),
    ("installation", "2024-02-29", "2026-02-28T10:00:00+08:00", "developer"),
    ("installation", "2024-02-29", "2026-03-01T10:00:00+08:00", "engineering"),
    # heating/cooling, handover outside a season: seasons 2025/26 and 2026/27 → until 2027-03-15
    ("heating_cooling", "2025-06-01", "2027-03-14T10:00:00+08:00", "developer"),
    ("heating_cooling", "2025-06-01", "2027-03-15T10:00:00+08:00", "developer"),
    ("heating_cooling", "2025-06-01", "2027-03-16T10:00:00+08:00", "engineering"),
    # handover inside a season: that season does not count → 2026/27 and 2027/28 → until 2028-03-15
    ("heating_cooling", "2025-12-01", "2026-01-10T10:00:00+08:00", "developer"),
    ("heating_cooling", "2025-12-01", "2028-03-15T10:00:00+08:00", "developer"),
    ("heating_cooling", "2025-12-01", "2028-03-16T10:00:00+08:00", "engineering"),
    # no developer warranty at all
    ("hot_water", "2026-11-01", "2026-11-02T10:00:00+08:00", "engineering"),
    ("other", "2026-11-01", "2026-11-02T10:00:00+08:00", "engineering"),
]


def test_the_warranty_table_routes_each_category_inside_and_just_outside_its_warranty(desk):
    for cat, delivered_on, reported_at, route in ROUTING:
        instance = desk.start("2026-11-02T10:00:00+08:00", category=cat, delivered_on=delivered_on,
                              reported_at=reported_at, location="corridor")
        assert route_of(desk, instance) == route, (cat, delivered_on, reported_at)
        first = "issue_contact" if route == "developer" else "issue_work_order"
        assert set(desk.ready(instance)) == {first}


def test_a_report_without_a_time_is_routed_on_the_day_it_is_received(desk):
    inside = desk.start("2026-06-01T18:00:00+08:00", category="waterproofing", delivered_on="2021-06-01")
    outside = desk.start("2026-06-02T09:00:00+08:00", category="waterproofing", delivered_on="2021-06-01")
    assert desk.show(inside)["data"]["reported_at"] == "2026-06-01T18:00:00+08:00"
    assert (route_of(desk, inside), route_of(desk, outside)) == ("developer", "engineering")


# -- the engineering route ------------------------------------------------------------------------------

def test_a_public_area_repair_runs_from_report_to_follow_up(desk_on_both):
    desk = desk_on_both
    i = desk.start("2026-11-20T09:00:00+08:00", category="installation", location="corridor",
                   delivered_on="2020-01-01", content="楼道灯不亮")
    assert route_of(desk, i) == "engineering"
    desk.do(i, "issue_work_order", "2026-11-20T09:03:00+08:00", work_order_no="GC-0001", place="3号楼2单元11层楼道")
    repair = desk.ready(i)["engineering_repair"]
    assert repair["lane"] == "engineering" and repair["due_at"] == "2026-11-22T09:03:00+08:00"     # R3
    desk.do(i, "engineering_repair", "2026-11-20T11:00:00+08:00", order_received_at="2026-11-20T09:10", **REPAIRED)
    desk.do(i, "check_work_order", "2026-11-20T11:30:00+08:00", accepted=True)
    follow_up = desk.ready(i)["follow_up"]
    assert follow_up["lane"] == "butler" and follow_up["due_at"] == "2026-11-21T23:59:59+08:00"   # R4
    done = desk.do(i, "follow_up", "2026-11-21T10:00:00+08:00", **FOLLOW_UP_OK)
    assert done["status"] == "completed" and done["ready"] == []
    shown = desk.show(i)
    assert shown["violations"] == [] and shown["waiting"] == []
    data = shown["data"]
    assert data["dispatched_at"] == "2026-11-20T09:03:00+08:00"
    assert data["work_order_back_at"] == "2026-11-20T11:00:00+08:00"
    assert data["staff"] == "王师傅" and data["headcount"] == 1 and data["satisfied"] is True
    assert [t["name"] for t in shown["done"]] == ["issue_work_order", "engineering_repair", "check_work_order",
                                                  "follow_up"]


def _through_check(desk: Desk, i: int, day: str, **check) -> None:
    """Engineering repairs, the desk accepts the work order (unless told otherwise)."""
    desk.do(i, "engineering_repair", f"{day}T11:00:00+08:00", **REPAIRED)
    desk.do(i, "check_work_order", f"{day}T11:30:00+08:00", **({"accepted": True} | check))


def test_an_indoor_repair_outside_warranty_is_quoted_and_done_once_the_owner_consents(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="decoration", location="indoor", delivered_on="2020-01-01")
    (quote,) = desk.ready(i).values()
    assert quote["name"] == "quote" and quote["lane"] == "front_desk"
    with pytest.raises(BadInput) as refused:            # the route is shown, not chosen
        desk.do(i, "quote", "2026-11-20T09:05:00+08:00", route="developer", quote_amount=80, owner_consent=True)
    assert "route" in refused.value.fields
    desk.do(i, "quote", "2026-11-20T09:05:00+08:00", quote_amount=80, owner_consent=True, quote_note="更换角阀")
    desk.do(i, "issue_work_order", "2026-11-20T09:10:00+08:00", work_order_no="GC-0002", place="户内卫生间")
    _through_check(desk, i, "2026-11-20")
    desk.do(i, "follow_up", "2026-11-21T10:00:00+08:00", **FOLLOW_UP_OK)
    shown = desk.show(i)
    assert shown["status"] == "completed" and shown["data"]["quote_amount"] == 80.0


def test_an_owner_who_declines_the_quote_closes_the_repair(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="other", location="indoor")
    done = desk.do(i, "quote", "2026-11-20T09:05:00+08:00", quote_amount=120, owner_consent=False)
    assert done["status"] == "completed" and done["ready"] == []
    assert [t["name"] for t in desk.show(i)["done"]] == ["quote"]


def test_hot_water_and_public_areas_are_never_quoted(desk):
    hot = desk.start("2026-11-20T09:00:00+08:00", category="hot_water", location="indoor")
    lobby = desk.start("2026-11-20T09:00:00+08:00", category="other", location="lobby")
    assert set(desk.ready(hot)) == set(desk.ready(lobby)) == {"issue_work_order"}


def test_a_work_order_goes_back_to_the_repairer_until_it_is_accepted(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="other", location="corridor")
    desk.do(i, "issue_work_order", "2026-11-20T09:05:00+08:00", work_order_no="GC-0003", place="5号楼大堂")
    _through_check(desk, i, "2026-11-20", accepted=False, check_note="业主未签字")
    assert set(desk.ready(i)) == {"engineering_repair"}
    # re-dispatched: R3 still counts from the first dispatch (M3 4.4.3, issue 15)
    assert desk.ready(i)["engineering_repair"]["due_at"] == "2026-11-22T09:05:00+08:00"
    _through_check(desk, i, "2026-11-21", accepted=False, check_note="问题未解决")
    _through_check(desk, i, "2026-11-22")
    # the third attempt ran past two days from the first dispatch: the supervisor follows up (R3)
    assert set(desk.ready(i)) == {"follow_up", "supervisor_follow_up"}
    assert desk.violations(i) == [("R3", "engineering")]
    names = [t["name"] for t in desk.show(i)["done"]]
    assert names.count("engineering_repair") == names.count("check_work_order") == 3


def test_an_owner_not_satisfied_at_follow_up_gets_the_repair_redone(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="other", location="roof")
    desk.do(i, "issue_work_order", "2026-11-20T09:05:00+08:00", work_order_no="GC-0004", place="楼顶")
    _through_check(desk, i, "2026-11-20")
    desk.do(i, "follow_up", "2026-11-21T10:00:00+08:00", **{**FOLLOW_UP_OK, "quality": "poor", "satisfied": False})
    assert set(desk.ready(i)) == {"engineering_repair"}
    _through_check(desk, i, "2026-11-21")         # redone within two days of the first dispatch (R3)
    assert desk.ready(i)["follow_up"]["due_at"] == "2026-11-22T23:59:59+08:00"
    assert desk.do(i, "follow_up", "2026-11-22T09:00:00+08:00", **FOLLOW_UP_OK)["status"] == "completed"
    assert desk.violations(i) == []


# -- the developer route ----------------------------------------------------------------------------------

def _developer_repair(desk: Desk, deadline: str | None = None) -> int:
    i = desk.start("2026-11-20T09:00:00+08:00", category="waterproofing", location="indoor", delivered_on="2024-06-01")
    contact = {"contact_no": "LX-2026-031"} | ({"developer_deadline": deadline} if deadline else {})
    desk.do(i, "issue_contact", "2026-11-20T09:10:00+08:00", **contact)
    return i


def test_the_developer_confirms_and_repairs_within_the_deadline(desk_on_both):
    desk = desk_on_both
    i = _developer_repair(desk)
    confirm = desk.ready(i)["developer_confirm"]
    assert confirm["lane"] == "developer_cs" and confirm["due_at"] == "2026-11-27T23:59:59+08:00"   # 7 days on
    assert desk.show(i)["data"]["developer_deadline"] == "2026-11-27"
    desk.do(i, "developer_confirm", "2026-11-20T14:00:00+08:00", developer_confirmed=True)
    desk.do(i, "developer_repair", "2026-11-25T16:00:00+08:00", developer_result="施工单位已重做防水")
    desk.do(i, "check_work_order", "2026-11-25T17:00:00+08:00", accepted=True)
    assert desk.do(i, "follow_up", "2026-11-26T10:00:00+08:00", **FOLLOW_UP_OK)["status"] == "completed"
    shown = desk.show(i)
    assert shown["violations"] == [] and shown["data"]["repairer"] == "developer"
    assert "developer_sign_off" not in [t["name"] for t in shown["done"]]


def test_rework_of_developer_work_goes_back_to_the_developer(desk):
    i = _developer_repair(desk, "2026-12-10")
    desk.do(i, "developer_confirm", "2026-11-20T14:00:00+08:00", developer_confirmed=True)
    desk.do(i, "developer_repair", "2026-11-25T16:00:00+08:00", developer_result="已处理")
    desk.do(i, "check_work_order", "2026-11-25T17:00:00+08:00", accepted=False)
    assert desk.ready(i)["developer_repair"]["due_at"] == "2026-12-10T23:59:59+08:00"


@pytest.mark.parametrize("stage", ["developer_confirm", "developer_repair"])
def test_at_the_deadline_property_engineering_takes_over_and_the_developer_signs_off(desk, stage):
    i = _developer_repair(desk, "2026-11-24")
    if stage == "developer_repair":
        desk.do(i, "developer_confirm", "2026-11-20T14:00:00+08:00", developer_confirmed=True)
    assert desk.tick(i, "2026-11-24T23:59:59+08:00") == [] and set(desk.ready(i)) == {stage}
    fired = desk.tick(i, "2026-11-25T00:00:00+08:00")
    assert fired == ["confirm_overdue" if stage == "developer_confirm" else "developer_overdue"]
    assert set(desk.ready(i)) == {"issue_work_order"}
    assert desk.violations(i) == [("R5", "developer_cs")]
    assert desk.show(i)["violations"][0]["amount"] == penalties.amount_for("R5", {})
    desk.do(i, "issue_work_order", "2026-11-25T09:00:00+08:00", work_order_no="GC-0005", place="户内卫生间")
    _through_check(desk, i, "2026-11-25")
    desk.do(i, "follow_up", "2026-11-26T10:00:00+08:00", **FOLLOW_UP_OK)
    sign_off = desk.ready(i)["developer_sign_off"]
    assert sign_off["lane"] == "developer_engineering"
    done = desk.do(i, "developer_sign_off", "2026-11-27T10:00:00+08:00", settlement_amount=650)
    assert done["status"] == "completed" and desk.show(i)["data"]["settlement_amount"] == 650.0


def test_a_contact_form_the_developer_does_not_accept_goes_to_property_engineering_without_a_violation(desk):
    i = _developer_repair(desk)
    desk.do(i, "developer_confirm", "2026-11-20T14:00:00+08:00", developer_confirmed=False,
            developer_reply="非质量问题")
    assert set(desk.ready(i)) == {"issue_work_order"}
    assert desk.violations(i) == [] and desk.show(i)["data"]["repairer"] == "engineering"


# -- deadlines R1–R4 ---------------------------------------------------------------------------------------

def _hot_water(desk: Desk) -> int:
    i = desk.start("2026-11-20T09:00:00+08:00", category="hot_water", location="indoor", content="没有热水")
    desk.do(i, "issue_work_order", "2026-11-20T09:02:00+08:00", work_order_no="RS-0001", place="户内")
    return i


def test_r1_a_hot_water_repairer_not_on_site_within_15_minutes_alerts_engineering(desk):
    i = _hot_water(desk)
    assert desk.ready(i)["arrive_on_site"]["due_at"] == "2026-11-20T09:17:00+08:00"
    assert desk.tick(i, "2026-11-20T09:17:00+08:00") == []
    assert desk.tick(i, "2026-11-20T09:17:01+08:00") == ["late_arrival"]
    ready = desk.ready(i)
    assert set(ready) == {"arrive_on_site", "alert_late_arrival"}          # the repairer still goes
    assert ready["alert_late_arrival"]["lane"] == "engineering"
    assert desk.violations(i) == [("R1", "engineering")]
    desk.do(i, "alert_late_arrival", "2026-11-20T09:20:00+08:00", alert_note="已催维修人员")
    desk.do(i, "arrive_on_site", "2026-11-20T09:25:00+08:00")
    assert set(desk.ready(i)) == {"engineering_repair"}


def test_r1_a_repairer_on_site_in_time_records_nothing(desk):
    i = _hot_water(desk)
    desk.do(i, "arrive_on_site", "2026-11-20T09:16:00+08:00")
    assert desk.tick(i, "2026-11-20T10:00:00+08:00") == [] and desk.violations(i) == []
    assert desk.show(i)["data"]["arrived_at"] == "2026-11-20T09:16:00+08:00"


def test_r2_a_hot_water_follow_up_not_done_the_same_day_alerts_the_supervisor(desk):
    i = _hot_water(desk)
    desk.do(i, "arrive_on_site", "2026-11-20T09:10:00+08:00")
    _through_check(desk, i, "2026-11-20")
    hot_follow_up = desk.ready(i)["follow_up_hot_water"]
    assert hot_follow_up["due_at"] == "2026-11-20T23:59:59+08:00"
    assert desk.tick(i, "2026-11-20T23:59:59+08:00") == []
    assert desk.tick(i, "2026-11-21T00:00:00+08:00") == ["hot_water_follow_up_late"]
    assert desk.ready(i)["alert_hot_water_follow_up"]["lane"] == "cs_supervisor"
    assert desk.violations(i) == [("R2", "butler")]
    desk.do(i, "follow_up_hot_water", "2026-11-21T09:00:00+08:00", **FOLLOW_UP_OK)
    desk.do(i, "alert_hot_water_follow_up", "2026-11-21T09:30:00+08:00", alert_note="已提醒管家")
    assert desk.show(i)["status"] == "completed"


def test_r3_a_repair_not_finished_two_days_after_dispatch_goes_to_the_cs_supervisor(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="other", location="basement")
    desk.do(i, "issue_work_order", "2026-11-20T09:05:00+08:00", work_order_no="GC-0006", place="地下室")
    assert desk.tick(i, "2026-11-22T09:05:00+08:00") == []
    assert desk.tick(i, "2026-11-22T09:05:01+08:00") == ["repair_overdue"]
    ready = desk.ready(i)
    assert set(ready) == {"engineering_repair", "supervisor_follow_up"}
    assert ready["supervisor_follow_up"]["lane"] == "cs_supervisor"
    assert desk.violations(i) == [("R3", "engineering")]
    desk.do(i, "supervisor_follow_up", "2026-11-22T10:00:00+08:00", supervisor_note="已协调配件")
    _through_check(desk, i, "2026-11-23")
    assert set(desk.ready(i)) == {"follow_up"}


def test_r3_a_rework_keeps_the_first_dispatch_as_the_count_that_reaches_the_supervisor(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="other", location="corridor")
    desk.do(i, "issue_work_order", "2026-11-20T09:05:00+08:00", work_order_no="GC-0016", place="3号楼楼道")
    _through_check(desk, i, "2026-11-21", accepted=False, check_note="问题未解决")    # sent back on day two
    assert desk.tick(i, "2026-11-22T09:05:00+08:00") == []
    assert desk.tick(i, "2026-11-22T09:05:01+08:00") == ["repair_overdue"]
    assert desk.ready(i)["supervisor_follow_up"]["lane"] == "cs_supervisor"
    assert desk.violations(i) == [("R3", "engineering")]


def test_r4_a_follow_up_not_done_by_the_end_of_the_next_day_alerts_the_dispatch_supervisor(desk):
    i = desk.start("2026-11-20T09:00:00+08:00", category="other", location="grounds")
    desk.do(i, "issue_work_order", "2026-11-20T09:05:00+08:00", work_order_no="GC-0007", place="园区")
    _through_check(desk, i, "2026-11-20")
    assert desk.tick(i, "2026-11-21T23:59:59+08:00") == []
    assert desk.tick(i, "2026-11-22T00:00:00+08:00") == ["follow_up_late"]
    assert desk.ready(i)["alert_follow_up_late"]["lane"] == "dispatch_supervisor"
    assert desk.violations(i) == [("R4", "butler")]
    desk.do(i, "follow_up", "2026-11-22T09:00:00+08:00", **FOLLOW_UP_OK)
    assert set(desk.ready(i)) == {"alert_follow_up_late"} and desk.show(i)["status"] == "running"


# -- a process owner edits the table --------------------------------------------------------------------------

def test_editing_the_warranty_table_makes_a_new_version_while_running_repairs_keep_theirs(sqlite_db):
    desk = Desk(sqlite_db)
    assert desk.deploy()["repair"]["version"] == 1
    report = {"category": "waterproofing", "delivered_on": "2020-06-01", "location": "corridor"}
    before = desk.start("2026-11-20T09:00:00+08:00", **report)
    longer = (PROCESSES / "repair_warranty.dmn").read_text(encoding="utf-8").replace(
        "add_years(delivered_on, 5)", "add_years(delivered_on, 8)")
    deployed = deploy_files(sqlite_db, ("repair_warranty.dmn", longer.encode()), as_="process_owner",
                            at="2026-11-21T08:00:00+08:00")    # the table alone: the process is rebuilt with it
    assert deployed["repair"]["version"] == 2 and deployed["repair_warranty_definitions"]["version"] == 2
    after = desk.start("2026-11-21T09:00:00+08:00", **report)
    assert (desk.show(before)["version"], route_of(desk, before)) == (1, "engineering")
    assert (desk.show(after)["version"], route_of(desk, after)) == (2, "developer")
    desk.do(before, "issue_work_order", "2026-11-21T10:00:00+08:00", work_order_no="GC-0008", place="楼道")
    _through_check(desk, before, "2026-11-21")
    assert desk.do(before, "follow_up", "2026-11-22T10:00:00+08:00", **FOLLOW_UP_OK)["status"] == "completed"
    assert desk.show(before)["version"] == 1
    assert desk.deploy(longer.encode())["repair"]["new"] is False          # unchanged: no new version


@pytest.mark.once
@pytest.mark.parametrize(("edit", "refusal"), [
    (("add_years(delivered_on, 2)", "add_year(delivered_on, 2)"),
     r"repair_warranty\.dmn:\d+: rule_decoration_day: .*unknown function \"add_year\""),
    (('"developer"</text></outputEntry>', "__import__('os').system('id')</text></outputEntry>"),
     r"repair_warranty\.dmn:\d+: rule_waterproofing_route: .*refused"),
    (('hitPolicy="FIRST"', 'hitPolicy="ANY"'), r"repair_warranty_table: .*ANY"),   # PRIORITY runs now
])
def test_a_table_edit_that_cannot_run_is_refused_at_deploy_naming_the_cell(desk, edit, refusal):
    old, new = edit
    table = (PROCESSES / "repair_warranty.dmn").read_text(encoding="utf-8").replace(old, new, 1)
    with pytest.raises(BadInput, match=refusal):
        deploy_files(desk.db, ("repair_warranty.dmn", table.encode()), at="2026-11-21T08:00:00+08:00")


def test_a_comment_in_the_table_does_not_break_it(sqlite_db):
    desk = Desk(sqlite_db)
    table = (PROCESSES / "repair_warranty.dmn").read_text(encoding="utf-8").replace(
        '<rule id="rule_decoration">', '<!-- 2 年 --><rule id="rule_decoration">')
    desk.deploy(table.encode())
    i = desk.start("2026-11-20T09:00:00+08:00", category="decoration", delivered_on="2025-01-01", location="lobby")
    assert route_of(desk, i) == "developer"
