"""客服接待 (procedures.md §7, M3 第2篇 客服接待作业规程): every call and visit logged, handed to a
department (or the manager, or turned into a complaint/repair), handled the same day (RC1), followed
up the next day (RC2) until the customer is satisfied."""
from __future__ import annotations

import pytest

from engine.clock import parse_instant
from engine.errors import BadInput
from engine.usecases.browse import search_instances
from tests.procedures.walk import SECOND, Walk
from tests.support import deployed_meta

VISIT = {"visitor": "陈女士", "room": "2-1-0602", "contact": "13900000001", "channel": "phone",
         "matter": "地下车库B1出口道闸抬杆很慢，早高峰排队"}
ENGINEERING = {"handling": "department", "department": "engineering", "reply": "交工程部检查道闸"}
DONE = {"contacted": True, "dept_outcome": "done", "dept_result": "已调整道闸抬杆速度，试运行正常"}
SATISFIED = {"follow_up_way": "phone", "satisfied": True, "follow_up_note": "顾客表示满意"}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "reception.bpmn")


def start(walk: Walk, **extra) -> int:
    return walk.start("reception", {**VISIT, "received_at": "2026-11-03T10:00:00+08:00", **extra})


def test_reception_deploys_with_its_lanes_forms_and_two_deadlines(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "reception")
    assert meta["name"] == "客服接待" and meta["start_groups"] == ["front_desk"]
    assert list(meta["lanes"]) == ["front_desk", "cs_manager", "cs_supervisor", "engineering", "security",
                                   "cleaning", "finance"]
    assert [f["id"] for f in meta["start_form"]] == ["visitor", "room", "contact", "channel", "matter", "received_at"]
    users = {i: el for i, el in meta["elements"].items() if el["type"] == "userTask"}
    for element_id, el in users.items():
        assert el["form"] and any("\u4e00" <= ch <= "\u9fff" for ch in el["name"]), element_id
    deadlines = {el["properties"].get("deadline") for el in meta["elements"].values() if el["type"] == "boundaryEvent"}
    assert deadlines == {"RC1", "RC2"}


def test_a_matter_answered_on_the_spot_is_logged_and_closed(walk):
    i = start(walk)
    assert set(walk.ready(i)) == {"analyse"}
    walk.work(i, "analyse", {"handling": "answered", "reply": "已告知业主停水通知时间"})
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["data"]["matter"] == VISIT["matter"]
    assert shown["violations"] == []


def test_a_complaint_or_repair_is_handed_on_with_its_instance_number(walk):
    i = start(walk)
    walk.work(i, "analyse", {"handling": "repair"})
    assert set(walk.ready(i)) == {"link_case"}
    with pytest.raises(BadInput) as refused:
        walk.work(i, "link_case", {"linked_instance": None})
    assert "linked_instance" in refused.value.fields and set(walk.ready(i)) == {"link_case"}
    walk.work(i, "link_case", {"linked_instance": 42, "link_note": "已登记报修"})
    assert walk.show(i)["status"] == "completed" and walk.show(i)["data"]["linked_instance"] == 42


def test_a_department_handles_it_the_same_day_and_the_next_day_follow_up_closes_it(walk):
    i = start(walk)
    walk.work(i, "analyse", ENGINEERING)
    assert set(walk.ready(i)) == {"handle_engineering"}
    walk.set("2026-11-03T15:00:00+08:00")
    walk.work(i, "handle_engineering", DONE)
    assert set(walk.ready(i)) == {"follow_up"}
    walk.set("2026-11-04T09:00:00+08:00")
    walk.work(i, "follow_up", SATISFIED)
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["violations"] == []
    assert shown["data"]["rework_count"] == 0


@pytest.mark.parametrize("dept", ["security", "cleaning", "finance"])
def test_each_department_gets_the_matter_in_its_own_inbox(walk, dept):
    i = start(walk)
    walk.work(i, "analyse", {"handling": "department", "department": dept})
    assert set(walk.ready(i)) == {f"handle_{dept}"} and walk.ready(i)[f"handle_{dept}"]["lane"] == dept


def test_rc1_a_department_not_done_by_the_end_of_the_day_makes_the_desk_explain(walk):
    i = start(walk)
    walk.work(i, "analyse", ENGINEERING)
    due = walk.timer_due(i, "handle_engineering_rc1")
    assert due == parse_instant("2026-11-03T23:59:59+08:00")
    walk.set(due - SECOND)
    assert set(walk.ready(i)) == {"handle_engineering"} and walk.violations(i) == []
    walk.set(due + SECOND)
    assert set(walk.ready(i)) == {"handle_engineering", "explain_engineering"}
    assert walk.ready(i)["explain_engineering"]["lane"] == "front_desk"
    assert walk.violations(i) == [("RC1", "engineering", 0.0)]
    walk.work(i, "explain_engineering", {"explained": True, "promised_at": "2026-11-05T12:00:00+08:00"})
    walk.work(i, "handle_engineering", DONE)
    assert set(walk.ready(i)) == {"follow_up"}


def test_a_hard_case_goes_to_the_head_of_customer_service_before_the_follow_up(walk):
    i = start(walk)
    walk.work(i, "analyse", ENGINEERING)
    walk.work(i, "handle_engineering", {**DONE, "dept_outcome": "hard"})
    assert set(walk.ready(i)) == {"coordinate"} and walk.ready(i)["coordinate"]["lane"] == "cs_supervisor"
    walk.work(i, "coordinate", {"coordination": "协调开发商更换道闸电机"})
    assert set(walk.ready(i)) == {"follow_up"}


def test_no_department_chosen_is_coordinated_by_the_head_of_customer_service(walk):
    i = start(walk)
    walk.work(i, "analyse", {"handling": "department", "department": None})
    assert set(walk.ready(i)) == {"coordinate"}


def test_a_matter_beyond_the_desk_goes_to_the_property_manager_then_is_followed_up(walk):
    i = start(walk)
    walk.work(i, "analyse", {"handling": "manager"})
    assert walk.ready(i)["manager_handle"]["lane"] == "cs_manager"
    walk.work(i, "manager_handle", {"manager_result": "同意延长车库开放时间"})
    walk.work(i, "follow_up", SATISFIED)
    assert walk.show(i)["status"] == "completed"


def test_an_unsatisfied_customer_sends_it_back_to_the_department_until_satisfied(walk):
    i = start(walk)
    walk.work(i, "analyse", ENGINEERING)
    walk.work(i, "handle_engineering", DONE)
    walk.work(i, "follow_up", {**SATISFIED, "satisfied": False, "follow_up_note": "道闸仍然很慢"})
    assert set(walk.ready(i)) == {"handle_engineering"}
    walk.work(i, "handle_engineering", {**DONE, "dept_result": "更换道闸电机"})
    walk.work(i, "follow_up", SATISFIED)
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["data"]["rework_count"] == 1


def test_rc2_a_follow_up_not_done_by_the_end_of_the_next_day_is_a_violation(walk):
    i = start(walk)
    walk.work(i, "analyse", ENGINEERING)
    walk.set("2026-11-03T14:00:00+08:00")
    walk.work(i, "handle_engineering", DONE)
    due = walk.timer_due(i, "follow_up_rc2")
    assert due == parse_instant("2026-11-04T23:59:59+08:00")
    walk.set(due - SECOND)
    assert set(walk.ready(i)) == {"follow_up"} and walk.violations(i) == []
    walk.set(due + SECOND)
    assert set(walk.ready(i)) == {"follow_up", "late_follow_up"}
    assert walk.violations(i) == [("RC2", "front_desk", 0.0)]


def test_a_visit_without_contact_is_refused_naming_the_field_and_nothing_is_kept(walk):
    with pytest.raises(BadInput) as refused:
        walk.start("reception", {**VISIT, "contact": ""})
    assert "contact" in refused.value.fields
    assert walk.call(search_instances, "front_desk", process_id="reception") == []
