"""热水抄表续费 (procedures.md §7, M0 热水经营管理规程 3.1.3–3.1.4): a scheduled start on the 25th of
each quarter's last month (a BPMN timer start event, fired by the timer sweep), the meter reading
and usage ledger by the 30th (HW1), the 热水续费通知书 per household, the prepayments recorded."""
from __future__ import annotations

import pytest

from engine.clock import parse_instant
from engine.errors import BadInput
from tests.procedures.walk import SECOND, Walk
from tests.support import deployed_meta

FIRST = parse_instant("2026-12-25T09:00:00+08:00")
LEDGER = "3-2-1102 张三 120.5 131\n\n5-1-0801 李四 88 95.5\n"
READ = {"unit_price": 25.0, "meter_ledger": LEDGER, "owners_notified": True}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "hot_water_billing.bpmn", now="2026-12-20T10:00:00+08:00")


def opened(walk: Walk) -> int:
    [i] = walk.scheduled(FIRST + SECOND)
    return i


def test_the_model_deploys_with_a_quarterly_timer_start_event(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "hot_water_billing")
    assert meta["name"] == "热水抄表续费" and meta["start_groups"] == ["butler"]
    assert meta["elements"]["start"]["type"] == "startEvent" and meta["start_form"] == []
    deadlines = {el["properties"].get("deadline") for el in meta["elements"].values() if el["type"] == "boundaryEvent"}
    assert deadlines == {"HW1"}


def test_the_reading_opens_on_the_25th_and_not_a_second_before(walk):
    assert walk.next_start("hot_water_billing") == FIRST
    assert walk.scheduled(FIRST - SECOND) == []
    [i] = walk.scheduled(FIRST + SECOND)
    assert set(walk.ready(i)) == {"read_meters"} and walk.ready(i)["read_meters"]["lane"] == "butler"
    data = walk.show(i)["data"]
    assert data["reading_due"] == "2026-12-30T23:59:59+08:00" and data["scheduled_for"] == "2026-12-25T09:00:00+08:00"
    assert walk.next_start("hot_water_billing") == parse_instant("2027-03-25T09:00:00+08:00")    # the next quarter
    assert walk.show(i)["waiting"] == [w for w in walk.show(i)["waiting"] if w.get("name") != "start"]


def test_each_quarter_opens_one_reading_on_the_25th_without_drifting(walk):
    opened(walk)
    quarters = ["2027-03-25", "2027-06-25", "2027-09-25", "2027-12-25"]
    for day in quarters:
        assert walk.next_start("hot_water_billing") == parse_instant(f"{day}T09:00:00+08:00")
        assert len(walk.scheduled(parse_instant(f"{day}T09:00:00+08:00") + SECOND)) == 1
        assert walk.scheduled(parse_instant(f"{day}T18:00:00+08:00")) == []       # once per moment


def test_after_downtime_each_missed_quarter_gets_its_reading(walk):
    opened(walk)
    started = walk.scheduled("2027-10-01T08:00:00+08:00")     # down from January to October
    assert [walk.show(i)["data"]["scheduled_for"][:10] for i in started] == ["2027-03-25", "2027-06-25", "2027-09-25"]
    assert walk.next_start("hot_water_billing") == parse_instant("2027-12-25T09:00:00+08:00")


def test_the_ledger_gives_each_households_usage_and_amount_then_notices_and_payments(walk):
    i = opened(walk)
    walk.work(i, "read_meters", READ)
    data = walk.show(i)["data"]
    assert [(r["room"], r["usage"], r["amount"]) for r in data["ledger"]] == [("3-2-1102", 10.5, 262.5),
                                                                            ("5-1-0801", 7.5, 187.5)]
    assert data["households"] == 2 and data["total_usage"] == 18.0 and data["total_amount"] == 450.0
    walk.work(i, "issue_notices", {"notice_way": "written"})
    walk.work(i, "record_payments", {"paid_households": 1, "paid_amount": 262.5, "unpaid_note": "李四出差，电话已通知"})
    shown = walk.show(i)
    assert shown["status"] == "completed"   # next quarter's reading is an instance of its own
    assert shown["ready"] == [] and shown["violations"] == []


@pytest.mark.parametrize(("ledger", "problem"), [
    ("3-2-1102 张三 120.5", "第1行应为：房号 业主 上期读数 本期读数"),
    ("3-2-1102 张三 120.5 一百", "第1行的读数不是数字"),
    ("3-2-1102 张三 120 131\n5-1-0801 李四 95 88", "第2行本期读数小于上期读数"),
])
def test_a_wrong_ledger_comes_back_to_the_butler_with_its_line(walk, ledger, problem):
    i = opened(walk)
    walk.work(i, "read_meters", {**READ, "meter_ledger": ledger})
    assert set(walk.ready(i)) == {"read_meters"}
    assert problem in walk.show(i)["data"]["ledger_problems"]
    walk.work(i, "read_meters", READ)
    assert set(walk.ready(i)) == {"issue_notices"}


def test_hw1_a_reading_not_done_by_the_30th_is_a_violation(walk):
    i = opened(walk)
    due = walk.timer_due(i, "read_meters_hw1")
    assert due == parse_instant("2026-12-30T23:59:59+08:00")
    walk.set(due - SECOND)
    assert set(walk.ready(i)) == {"read_meters"} and walk.violations(i) == []
    walk.set(due + SECOND)
    assert set(walk.ready(i)) == {"read_meters", "late_reading"}
    assert walk.violations(i) == [("HW1", "butler", 0.0)]


def test_a_negative_unit_price_or_a_blank_ledger_is_refused_naming_the_field(walk):
    i = opened(walk)
    with pytest.raises(BadInput) as refused:
        walk.work(i, "read_meters", {**READ, "unit_price": -1})
    assert "unit_price" in refused.value.fields and set(walk.ready(i)) == {"read_meters"}
    with pytest.raises(BadInput) as refused:
        walk.work(i, "read_meters", {**READ, "meter_ledger": "   \n"})
    assert "meter_ledger" in refused.value.fields
