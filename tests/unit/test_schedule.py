"""The schedule of a timer start event (engine/rules/schedule.py): each moment from the anchor (no
drift), calendar months, the business calendar's working days, bounded catch-up, clear refusals."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import parse_instant, to_iso
from engine.rules.schedule import ScheduleInvalid, parse_schedule
from engine.step.calendar import DEFAULT_CALENDAR as CALENDAR

DEPLOYED = parse_instant("2026-12-01T00:00:00+08:00")


def series(kind: str, text: str, n: int, after: str = "2026-12-01T00:00:00+08:00") -> list[str]:
    rule, t, out = parse_schedule(kind, text), parse_instant(after), []
    for _ in range(n):
        nxt = rule.next_after(t, DEPLOYED, CALENDAR)
        assert nxt is not None
        out.append(to_iso(nxt)[:16])
        t = nxt
    return out


def test_p3m_from_the_25th_stays_on_the_25th_every_quarter():
    assert series("timeCycle", "R/2026-12-25T09:00:00+08:00/P3M", 5) == [
        "2026-12-25T09:00", "2027-03-25T09:00", "2027-06-25T09:00", "2027-09-25T09:00", "2027-12-25T09:00"]


def test_a_month_from_the_31st_is_the_month_s_last_day_and_back_to_the_31st():
    assert series("timeCycle", "R/2027-01-31T09:00:00+08:00/P1M", 3) == [
        "2027-01-31T09:00", "2027-02-28T09:00", "2027-03-31T09:00"]


def test_a_cycle_of_n_repetitions_runs_out_and_a_cycle_without_start_counts_from_the_deploy():
    rule = parse_schedule("timeCycle", "R2/2026-12-02T09:00:00+08:00/P1D")
    second = rule.next_after(parse_instant("2026-12-02T09:00:00+08:00"), DEPLOYED, CALENDAR)
    assert second is not None and rule.next_after(second, DEPLOYED, CALENDAR) is None
    assert series("timeCycle", "R/PT6H", 2) == ["2026-12-01T06:00", "2026-12-01T12:00"]


def test_every_working_day_skips_the_spring_festival_and_opens_on_a_make_up_saturday():
    days = series("timeCycle", 'every_working_day("09:00")', 4, after="2026-02-12T10:00:00+08:00")
    assert days == ["2026-02-13T09:00", "2026-02-14T09:00", "2026-02-24T09:00", "2026-02-25T09:00"]


def test_mondays_the_first_of_the_month_and_the_25th_of_each_quarter_s_last_month():
    assert series("timeCycle", 'every_week(1, "09:00")', 2) == ["2026-12-07T09:00", "2026-12-14T09:00"]
    assert series("timeCycle", 'every_month(1, "08:30")', 2) == ["2026-12-01T08:30", "2027-01-01T08:30"]
    assert series("timeCycle", 'every_quarter(25, "09:00")', 3) == [
        "2026-12-25T09:00", "2027-03-25T09:00", "2027-06-25T09:00"]
    assert series("timeCycle", 'every_day("09:00", "2027-01-04")', 1) == ["2027-01-04T09:00"]
    assert series("timeDate", "2027-01-04T09:00:00+08:00", 1) == ["2027-01-04T09:00"]


def test_catching_up_years_of_minutes_keeps_the_newest_and_counts_the_rest_at_once():
    rule = parse_schedule("timeCycle", "R/2026-12-01T00:00:00+08:00/PT1M")
    kept, skipped = rule.due_between(DEPLOYED, DEPLOYED + timedelta(days=3650), DEPLOYED, CALENDAR, 100)
    assert len(kept) == 100 and skipped == 3650 * 1440 - 100 and kept[-1] == DEPLOYED + timedelta(days=3650)
    daily = parse_schedule("timeCycle", 'every_day("09:00")')
    kept, skipped = daily.due_between(DEPLOYED, DEPLOYED + timedelta(days=365), DEPLOYED, CALENDAR, 1)
    assert len(kept) == 1 and skipped == 364


@pytest.mark.parametrize(("kind", "text", "says"), [
    ("timeCycle", "every_day(9)", "HH:MM"),
    ("timeCycle", 'every_month(32, "09:00")', "1 to 31"),
    ("timeCycle", 'every_day("09:00", "next monday")', "ISO date"),
    ("timeCycle", "R/2026-12-01T00:00:00+08:00/P11Y", "at most ten years"),
    ("timeCycle", "R/yesterday/P1D", "not an ISO instant"),
    ("timeCycle", '__import__("os").system("id")', "ISO cycle or one of"),
    ("timeCycle", "every_day(x)", "literals"),
])
def test_what_is_no_schedule_is_refused_saying_why(kind, text, says):
    with pytest.raises(ScheduleInvalid, match=says.replace("(", r"\(")):
        parse_schedule(kind, text)
