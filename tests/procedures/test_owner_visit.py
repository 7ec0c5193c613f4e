"""管家走访 (procedures.md §7, M0 物业客服管家走访标准规程 3.1–3.4): a monthly scheduled plan by the
butler (OV1), approved by the supervisor; 10 % of moved-in households a week; door visits by default,
phone visits only with consent and at most 10 %; each visit recorded; the supervisor reviews; a
written reply within 3 days of the summary (OV2); the month's count published."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import parse_instant
from tests.procedures.walk import SECOND, Walk
from tests.support import deployed_meta

FIRST = parse_instant("2026-12-01T09:00:00+08:00")          # a Tuesday
PLAN = {"moved_in_households": 95, "planned_visits": 40, "phone_visits_planned": 4, "plan_text": "每周10户，周末登门"}
DOOR = {"visit_room": "3-2-1102", "visit_owner": "张三", "visit_way": "door", "on_security": "夜间巡逻到位",
        "needs": "希望增加儿童游乐设施", "more_visits": True}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "owner_visit.bpmn", now="2026-11-30T10:00:00+08:00")


def opened(walk: Walk) -> int:
    [i] = walk.scheduled(FIRST + SECOND)
    return i


def approved(walk: Walk, consent: bool = True, by_hand: bool = False) -> int:
    i = walk.start("owner_visit", {}, user="butler") if by_hand else opened(walk)
    walk.work(i, "plan", PLAN)
    walk.work(i, "approve", {"plan_approved": True, "phone_consent": consent})
    return i


def test_the_model_deploys_with_a_monthly_timer_start(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "owner_visit")
    assert meta["name"] == "管家走访" and list(meta["lanes"]) == ["butler", "cs_supervisor"]
    deadlines = {el["properties"].get("deadline") for el in meta["elements"].values() if el["type"] == "boundaryEvent"}
    assert deadlines == {"OV1", "OV2"}


def test_the_plan_opens_on_the_first_of_the_month(walk):
    assert walk.scheduled(FIRST - SECOND) == []
    [i] = walk.scheduled(FIRST + SECOND)
    assert walk.next_start("owner_visit") == parse_instant("2027-01-01T09:00:00+08:00")
    assert set(walk.ready(i)) == {"plan"}
    assert walk.show(i)["data"]["plan_due"] == "2026-12-04T17:30:00+08:00"      # the 3rd working day after


def test_ov1_a_plan_not_submitted_by_the_third_working_day_is_a_violation(walk):
    i = opened(walk)
    due = walk.timer_due(i, "plan_ov1")
    walk.set(due - SECOND)
    assert walk.violations(i) == []
    walk.set(due + SECOND)
    assert "late_plan" in walk.ready(i) and walk.violations(i) == [("OV1", "butler", 0.0)]


@pytest.mark.parametrize(("change", "problem"), [
    ({"planned_visits": 39}, "本月至少40户"),
    ({"phone_visits_planned": 5}, "电话走访不得超过本期走访户的10%"),
])
def test_a_plan_below_10_percent_a_week_or_with_too_many_phone_visits_comes_back(walk, change, problem):
    i = opened(walk)
    walk.work(i, "plan", {**PLAN, **change})
    assert set(walk.ready(i)) == {"plan"} and problem in walk.show(i)["data"]["plan_problems"]


def test_a_plan_the_supervisor_refuses_comes_back_with_the_reason(walk):
    i = opened(walk)
    walk.work(i, "plan", PLAN)
    walk.work(i, "approve", {"plan_approved": False, "approval_note": "请增加晚间走访"})
    assert set(walk.ready(i)) == {"plan"} and "请增加晚间走访" in walk.show(i)["data"]["plan_problems"]


def test_visits_are_counted_phone_ones_only_with_consent_and_within_10_percent(walk):
    i = approved(walk, consent=True)
    for _ in range(3):
        walk.work(i, "visit", DOOR)
    for _ in range(5):                                      # 4 of 40 may be by phone
        walk.work(i, "visit", {**DOOR, "visit_way": "phone"})
    walk.work(i, "visit", {**DOOR, "more_visits": False})
    data = walk.show(i)["data"]
    assert (data["visits"], data["phone_visits"], data["not_counted"]) == (8, 4, 1)
    j = approved(walk, consent=False, by_hand=True)        # a second plan this month, started by the butler
    walk.work(j, "visit", {**DOOR, "visit_way": "phone", "more_visits": False})
    assert walk.show(j)["data"]["visits"] == 0 and walk.show(j)["data"]["not_counted"] == 1


def test_the_summary_is_reviewed_answered_in_writing_and_the_count_published(walk):
    i = approved(walk)
    walk.work(i, "visit", {**DOOR, "unanswered": "车位租金能否下调", "more_visits": False})
    walk.work(i, "summary", {"summary_text": "业主关注车位租金", "written_reply_needed": True})
    walk.work(i, "review", {"reply_plan": "与开发商沟通后书面答复"})
    due = walk.timer_due(i, "reply_ov2")
    assert due == walk.clock.now() + timedelta(days=3)
    walk.work(i, "reply", {"reply_text": "车位租金按合同执行，已向开发商反映"})
    assert walk.ready(i)["publish"]["form"][0]["id"] == "visits"
    walk.work(i, "publish", {"public_reply": "本月共走访1户"})
    shown = walk.show(i)
    assert shown["ready"] == [] and shown["violations"] == [] and shown["data"]["target_met"] is False


def test_ov2_no_written_reply_within_3_days_of_the_summary_is_a_violation(walk):
    i = approved(walk)
    walk.work(i, "visit", {**DOOR, "more_visits": False})
    walk.work(i, "summary", {"summary_text": "汇总", "written_reply_needed": True})
    walk.work(i, "review", {"reply_plan": "书面答复"})
    due = walk.timer_due(i, "reply_ov2")
    walk.set(due - SECOND)
    assert walk.violations(i) == []
    walk.set(due + SECOND)
    assert "late_reply" in walk.ready(i) and walk.violations(i) == [("OV2", "butler", 0.0)]


def test_no_written_reply_needed_goes_straight_to_publishing(walk):
    i = approved(walk)
    walk.work(i, "visit", {**DOOR, "more_visits": False})
    walk.work(i, "summary", {"summary_text": "无特殊问题", "written_reply_needed": False})
    walk.work(i, "review", {"reply_plan": "无"})
    assert set(walk.ready(i)) == {"publish"}
