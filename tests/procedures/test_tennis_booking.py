"""网球场订场 (procedures.md §7, M0 网球场管理规程 3.1–3.2): booked one day ahead for the next three
days, by the hour within 07:00–21:00, at most six a court; paid and ticketed; a change only at least
4 hours before (for the weather: on the day), never a refund; security told 5 minutes before (TB1)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import parse_instant, to_iso
from tests.procedures.walk import SECOND, Walk
from tests.support import deployed_meta

BOOKING = {"booker": "周先生", "room": "1-1-0101", "phone": "13500000001", "court": "court_1",
           "play_at": "2026-11-05T19:00:00+08:00", "hours": 2, "people": 4}
SOLD = {"amount_paid": 80.0, "ticket_no": "WQ-0001"}
PLAY = parse_instant("2026-11-05T19:00:00+08:00")


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "tennis_booking.bpmn")      # the clock: Tuesday 2026-11-03 10:00


def booked(walk: Walk, **extra) -> int:
    i = walk.start("tennis_booking", {**BOOKING, **extra})
    walk.work(i, "sell", SOLD)
    return i


def test_tennis_booking_deploys_with_the_desk_and_security(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "tennis_booking")
    assert meta["name"] == "网球场订场" and list(meta["lanes"]) == ["front_desk", "security"]
    assert {f["id"]: f.get("max") for f in meta["start_form"]}["people"] == 30


@pytest.mark.parametrize(("change", "reason"), [
    ({"play_at": "2026-11-03T19:00:00+08:00"}, "须提前一天预订三日之内的场地"),
    ({"play_at": "2026-11-07T09:00:00+08:00"}, "须提前一天预订三日之内的场地"),
    ({"play_at": "2026-11-05T19:30:00+08:00"}, "按小时订场，须从整点开始"),
    ({"play_at": "2026-11-05T06:00:00+08:00"}, "开放时间为7:00至21:00"),
    ({"play_at": "2026-11-05T20:00:00+08:00"}, "开放时间为7:00至21:00"),
    ({"people": 7}, "每个场地最多入场六人"),
])
def test_a_booking_outside_the_rules_is_refused_with_its_reason(walk, change, reason):
    i = walk.start("tennis_booking", {**BOOKING, **change})
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["ready"] == []
    assert reason in shown["data"]["refusal_reason"]


@pytest.mark.parametrize("play_at", ["2026-11-04T07:00:00+08:00", "2026-11-06T19:00:00+08:00"])
def test_tomorrow_and_the_third_day_are_bookable_from_opening_to_closing(walk, play_at):
    i = walk.start("tennis_booking", {**BOOKING, "play_at": play_at})
    assert set(walk.ready(i)) == {"sell"}


def test_tb1_security_is_told_5_minutes_before_and_the_change_desk_closes(walk):
    i = booked(walk)
    assert set(walk.ready(i)) == {"change"}
    due = PLAY - timedelta(minutes=5)
    assert walk.timer_due(i, "change_tb1") == due
    walk.set(due - SECOND)
    assert set(walk.ready(i)) == {"change"}
    walk.set(due + SECOND)
    assert set(walk.ready(i)) == {"open_court"} and walk.ready(i)["open_court"]["lane"] == "security"
    walk.work(i, "open_court", {"ticket_checked": True, "admitted": 4})
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["violations"] == []


def test_a_change_exactly_4_hours_before_is_made_and_a_second_later_it_is_refused(walk):
    i, j = booked(walk), booked(walk, court="court_2")
    walk.set(PLAY - timedelta(hours=4))
    walk.work(i, "change", {"change_reason": "other", "new_play_at": "2026-11-06T08:00:00+08:00", "ticket_shown": True})
    shown = walk.show(i)
    assert shown["data"]["play_at"] == "2026-11-06T08:00:00+08:00" and shown["data"]["changes"] == 1
    assert walk.timer_due(i, "change_tb1") == parse_instant("2026-11-06T07:55:00+08:00")
    walk.set(PLAY - timedelta(hours=4) + SECOND)
    walk.work(j, "change", {"change_reason": "other", "new_play_at": "2026-11-06T08:00:00+08:00", "ticket_shown": True})
    shown = walk.show(j)
    assert shown["data"]["play_at"] == to_iso(PLAY) and "四小时前" in shown["data"]["change_refusal"]
    assert set(walk.ready(j)) == {"change"}            # the ticket stands: no refund


def test_a_weather_change_is_only_on_the_day(walk):
    i = booked(walk)
    walk.set("2026-11-04T20:00:00+08:00")
    walk.work(i, "change", {"change_reason": "weather", "new_play_at": "2026-11-06T19:00:00+08:00",
                            "ticket_shown": True})
    assert "天气原因限在当天更改" in walk.show(i)["data"]["change_refusal"]
    walk.set("2026-11-05T18:00:00+08:00")
    walk.work(i, "change", {"change_reason": "weather", "new_play_at": "2026-11-06T19:00:00+08:00",
                            "ticket_shown": True})
    assert walk.show(i)["data"]["play_at"] == "2026-11-06T19:00:00+08:00"


def test_a_change_without_the_ticket_or_outside_opening_hours_is_refused(walk):
    i = booked(walk)
    walk.work(i, "change", {"change_reason": "other", "new_play_at": "2026-11-06T20:00:00+08:00",
                            "ticket_shown": False})
    refusal = walk.show(i)["data"]["change_refusal"]
    assert "须带票前来更改" in refusal and "新场次须在7:00至21:00内按整点" in refusal
