"""Clock, business calendar and expression functions (procedures §2, §4 warranty routing).

Dates in 2026 are checked against chinese_calendar 1.11.0: National Day 2026-10-01..07 off,
Sunday 2026-09-20 and Saturday 2026-10-10 are 调休 working days, Mid-autumn 2026-09-25..27 off.
"""
from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # the repo has no packaging config yet; make `engine` importable
    sys.path.insert(0, _ROOT)

from engine.clock import SHANGHAI, Clock, FixedClock, SystemClock, parse_instant, to_iso  # noqa: E402
from engine.rules.calendar import BusinessCalendar  # noqa: E402
from engine.rules.functions import expression_functions  # noqa: E402

UTC = UTC


def sh(text: str) -> datetime:
    """A Shanghai wall-clock time, e.g. sh('2026-11-20 17:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(sh("2026-11-23 10:00"))


@pytest.fixture
def fn(clock: FixedClock, cal: BusinessCalendar) -> dict:
    return expression_functions(clock, cal)


# --- working hours ---------------------------------------------------------------------------


def test_friday_1700_plus_8_working_hours_is_monday_1600(cal):
    assert cal.add_working_hours(sh("2026-11-20 17:00"), 8) == sh("2026-11-23 16:00")


def test_results_are_aware_utc(cal):
    result = cal.add_working_hours(sh("2026-11-20 17:00"), 8)
    assert result.tzinfo == UTC and result == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_working_hours_skip_the_2026_national_day_holiday(cal):
    assert cal.add_working_hours(sh("2026-09-30 17:00"), 8) == sh("2026-10-08 16:00")


def test_a_tiaoxiu_sunday_before_the_holiday_counts_as_a_working_day(cal):
    assert cal.is_working_day(date(2026, 9, 20))
    assert cal.add_working_hours(sh("2026-09-18 17:00"), 8) == sh("2026-09-20 16:00")


def test_a_tiaoxiu_saturday_after_the_holiday_counts_as_a_working_day(cal):
    assert cal.is_working_day(date(2026, 10, 10))
    assert cal.is_working_time(sh("2026-10-10 09:00"))
    assert cal.add_working_hours(sh("2026-10-09 17:00"), 8) == sh("2026-10-10 16:00")


def test_an_ordinary_saturday_and_the_holiday_are_not_working_days(cal):
    assert not cal.is_working_day(date(2026, 10, 17))
    assert not cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 9, 25))  # Mid-autumn, a Friday


def test_a_start_before_opening_counts_from_0830(cal):
    assert cal.add_working_hours(sh("2026-11-23 06:00"), 2) == sh("2026-11-23 10:30")


def test_a_start_after_closing_counts_from_the_next_opening(cal):
    assert cal.add_working_hours(sh("2026-11-23 19:00"), 2) == sh("2026-11-24 10:30")


def test_a_start_on_a_weekend_counts_from_monday_opening(cal):
    assert cal.add_working_hours(sh("2026-11-21 11:00"), 1) == sh("2026-11-23 09:30")


def test_lunchtime_is_working_time_because_there_is_no_lunch_break(cal):
    assert cal.is_working_time(sh("2026-11-23 12:30"))
    assert cal.add_working_hours(sh("2026-11-23 11:30"), 2) == sh("2026-11-23 13:30")
    assert cal.add_working_hours(sh("2026-11-23 08:30"), 9) == sh("2026-11-23 17:30")


def test_fractional_hours_are_counted_to_the_minute(cal):
    assert cal.add_working_hours(sh("2026-11-23 17:00"), 0.75) == sh("2026-11-24 08:45")
    assert cal.add_working_hours(sh("2026-11-23 10:00"), 1.5) == sh("2026-11-23 11:30")


def test_a_deadline_landing_on_closing_time_stays_at_1730(cal):
    assert cal.add_working_hours(sh("2026-11-20 17:00"), 0.5) == sh("2026-11-20 17:30")


def test_working_time_includes_0830_and_excludes_1730(cal):
    assert cal.is_working_time(sh("2026-11-23 08:30"))
    assert not cal.is_working_time(sh("2026-11-23 08:29:59"))
    assert cal.is_working_time(sh("2026-11-23 17:29:59"))
    assert not cal.is_working_time(sh("2026-11-23 17:30"))


def test_working_time_is_judged_in_shanghai_whatever_the_input_offset(cal):
    assert cal.is_working_time(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 09:00 Shanghai
    assert not cal.is_working_time(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # 18:00 Shanghai


def test_negative_hours_and_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="≥ 0"):
        cal.add_working_hours(sh("2026-11-23 10:00"), -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(datetime(2026, 11, 23, 10, 0), 1)  # noqa: DTZ001 -- a naive time, on purpose: it must be refused


def test_a_custom_working_day_is_respected():
    early = BusinessCalendar(work_start=time(9, 0), work_end=time(12, 0))
    assert early.add_working_hours(sh("2026-11-23 11:00"), 2) == sh("2026-11-24 10:00")
    with pytest.raises(ValueError, match="before"):
        BusinessCalendar(work_start=time(18, 0), work_end=time(9, 0))


# --- working days ----------------------------------------------------------------------------


def test_one_working_day_from_friday_is_monday_1730(cal):
    assert cal.add_working_days(sh("2026-11-20 09:00"), 1) == sh("2026-11-23 17:30")
    assert cal.add_working_days(sh("2026-11-20 23:00"), 1) == sh("2026-11-23 17:30")


def test_one_working_day_from_saturday_is_monday_1730(cal):
    assert cal.add_working_days(sh("2026-11-21 10:00"), 1) == sh("2026-11-23 17:30")


def test_working_days_skip_the_national_day_holiday(cal):
    assert cal.add_working_days(sh("2026-09-30 10:00"), 1) == sh("2026-10-08 17:30")
    assert cal.add_working_days(sh("2026-09-30 10:00"), 3) == sh("2026-10-10 17:30")


def test_zero_working_days_is_close_of_the_same_or_next_working_day(cal):
    assert cal.add_working_days(sh("2026-11-23 10:00"), 0) == sh("2026-11-23 17:30")
    assert cal.add_working_days(sh("2026-11-21 10:00"), 0) == sh("2026-11-23 17:30")


def test_years_the_library_does_not_know_fall_back_to_monday_to_friday(cal):
    assert cal.is_working_day(date(2030, 10, 1))  # a Tuesday; National Day data unknown for 2030
    assert not cal.is_working_day(date(2030, 10, 5))  # a Saturday
    assert cal.add_working_hours(sh("2030-10-04 17:00"), 8) == sh("2030-10-07 16:00")


# --- end of day ------------------------------------------------------------------------------


def test_end_of_day_uses_the_shanghai_day_around_utc_midnight(cal):
    # 2026-11-22 17:00 UTC is already 2026-11-23 01:00 in Shanghai
    assert cal.end_of_day(datetime(2026, 11, 22, 17, 0, tzinfo=UTC)) == sh("2026-11-23 23:59:59")
    # 2026-11-22 15:59 UTC is still 2026-11-22 23:59 in Shanghai
    assert cal.end_of_day(datetime(2026, 11, 22, 15, 59, tzinfo=UTC)) == sh("2026-11-22 23:59:59")
    assert cal.end_of_day(sh("2026-11-23 01:00")) == datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)


def test_end_of_next_day_crosses_month_and_year(cal):
    assert cal.end_of_next_day(sh("2026-12-31 10:00")) == sh("2027-01-01 23:59:59")


# --- clock and ISO text ----------------------------------------------------------------------


def test_fixed_clock_stands_still_advances_and_jumps():
    clock = FixedClock(sh("2026-11-23 10:00"))
    assert isinstance(clock, Clock)
    assert clock.now() == clock.now() == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC
    clock.advance(timedelta(minutes=5))
    assert clock.now() == sh("2026-11-23 10:05")
    clock.set(sh("2027-01-01 00:00"))
    assert clock.now() == sh("2027-01-01 00:00")


def test_fixed_clock_refuses_a_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 11, 23, 10, 0))  # noqa: DTZ001 -- a naive time, on purpose: it must be refused
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(sh("2026-11-23 10:00")).set(datetime(2026, 11, 23))  # noqa: DTZ001 -- a naive time, on purpose: it must be refused


def test_system_clock_gives_aware_utc():
    now = SystemClock().now()
    assert isinstance(SystemClock(), Clock)
    assert now.tzinfo == UTC


def test_parse_instant_keeps_an_explicit_offset():
    assert parse_instant("2026-11-20T17:00:00+08:00") == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert parse_instant("2026-11-20T09:00:00Z") == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert parse_instant("2026-11-20T09:00:00+00:00").tzinfo == UTC


def test_parse_instant_reads_text_without_offset_as_shanghai_time():
    assert parse_instant("2026-11-20T17:00") == sh("2026-11-20 17:00")


def test_parse_instant_reads_a_date_as_shanghai_midnight():
    assert parse_instant("2026-11-20") == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "garbage", ["", "   ", "tomorrow", "2026-13-01", "2026-11-20T25:00", "x" * 500, None, 20261120]
)
def test_parse_instant_rejects_garbage_with_a_value_error(garbage):
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant(garbage)


def test_to_iso_shows_shanghai_time_with_offset_and_no_zero_microseconds():
    assert to_iso(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)) == "2026-11-23T10:00:00+08:00"
    assert to_iso(datetime(2026, 11, 23, 2, 0, 0, 500, tzinfo=UTC)) == "2026-11-23T10:00:00.000500+08:00"
    with pytest.raises(ValueError):  # noqa: PT011 -- the message is asserted below
        to_iso(datetime(2026, 11, 23, 2, 0))  # noqa: DTZ001 -- a naive time, on purpose: it must be refused


# --- expression functions --------------------------------------------------------------------


def test_now_is_the_injected_clock_as_iso_text(fn, clock):
    assert fn["now"]() == "2026-11-23T10:00:00+08:00"
    clock.advance(timedelta(hours=1))
    assert fn["now"]() == "2026-11-23T11:00:00+08:00"


def test_plain_arithmetic_counts_the_wall_clock_and_returns_iso_text(fn):
    assert fn["add_minutes"]("2026-11-20T17:00:00+08:00", 5) == "2026-11-20T17:05:00+08:00"
    assert fn["add_hours"]("2026-11-20T17:00:00+08:00", 24) == "2026-11-21T17:00:00+08:00"
    assert fn["add_days"]("2026-11-20", 7) == "2026-11-27T00:00:00+08:00"
    assert fn["add_hours"](sh("2026-11-20 17:00"), -2) == "2026-11-20T15:00:00+08:00"


def test_calendar_functions_accept_form_strings_and_return_iso_text(fn):
    assert fn["add_working_hours"]("2026-11-20T17:00:00+08:00", 8) == "2026-11-23T16:00:00+08:00"
    assert fn["add_working_days"]("2026-11-20", 1) == "2026-11-23T17:30:00+08:00"
    assert fn["end_of_day"]("2026-11-20T17:00:00+08:00") == "2026-11-20T23:59:59+08:00"
    assert fn["end_of_next_day"]("2026-11-20T17:00:00+08:00") == "2026-11-21T23:59:59+08:00"
    assert fn["is_working_time"]("2026-11-20T17:00:00+08:00") is True
    assert fn["is_working_time"]("2026-11-21T10:00:00+08:00") is False


def test_earlier_and_later_compare_instants_and_ignore_a_blank_side(fn):
    a, b = "2026-11-20T17:00:00+08:00", "2026-11-20T10:00:00Z"  # b is 18:00 Shanghai
    assert fn["earlier"](a, b) == a and fn["later"](a, b) == "2026-11-20T18:00:00+08:00"
    assert fn["earlier"](None, a) == a and fn["later"](a, "") == a
    assert fn["earlier"](None, "") is None


def test_date_add_years_and_days_between(fn):
    assert fn["date"]("2026-11-20T23:30:00+08:00") == date(2026, 11, 20)
    assert fn["date"]("2026-11-20T20:00:00Z") == date(2026, 11, 21)  # 04:00 next day in Shanghai
    assert fn["add_years"]("2024-02-29", 1) == date(2025, 2, 28)
    assert fn["add_years"](date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert fn["days_between"]("2026-11-20", "2026-12-01T09:00:00+08:00") == 11
    assert fn["days_between"]("2026-12-01", "2026-11-20") == -11


def test_hour_of_is_the_shanghai_time_of_day_in_hours(fn):
    assert fn["hour_of"]("2026-11-20T08:30:00+08:00") == 8.5
    assert fn["hour_of"]("2026-11-20T13:00:00Z") == 21          # 21:00 in Shanghai: a court closes
    with pytest.raises(ValueError, match="hour_of"):
        fn["hour_of"]("soon")


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("add_hours", ("2026-11-20", "8"), "must be a number"),
        ("add_hours", ("2026-11-20", float("nan")), "finite"),
        ("add_hours", ("2026-11-20", 10**400), "between"),
        ("add_days", ("not a date", 1), "add_days: t"),
        ("add_working_hours", ("2026-11-20", -1), "between"),
        ("add_working_days", ("2026-11-20", 1.5), "whole number"),
        ("add_working_days", ("2026-11-20", 10**6), "between"),
        ("add_days", ("9999-12-01", 100), "out of the supported"),
        ("add_working_hours", ("9999-12-31T17:00", 8), "out of the supported"),
        ("add_years", ("2024-02-29", True), "must be a number"),
        ("end_of_day", (datetime(2026, 11, 20),), "timezone-aware"),  # noqa: DTZ001 -- a naive time, on purpose: it must be refused
        ("warranty_until", ("roof", "2024-06-01"), "unknown category"),
        ("heating_warranty_end", ("2024-06-01", "02-29", "03-15"), "every year"),
        ("heating_warranty_end", ("2024-06-01", "Nov 15", "03-15"), "MM-DD"),
        ("in_warranty", ("decoration", "2024-06-01", "2024-05-31"), "before delivered_on"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_problem(fn, name, args, message):
    with pytest.raises(ValueError, match=message):
        fn[name](*args)


# --- warranty (procedures §4) ----------------------------------------------------------------


def test_heating_warranty_for_a_handover_outside_the_season_covers_the_next_two_seasons(fn):
    assert fn["heating_warranty_end"]("2024-06-01") == "2026-03-15"


def test_heating_warranty_for_a_handover_inside_a_season_skips_the_season_already_running(fn):
    assert fn["heating_warranty_end"]("2024-12-01") == "2027-03-15"
    assert fn["heating_warranty_end"]("2025-02-01") == "2027-03-15"  # seasons from 2025-11-15, 2026-11-15


def test_a_season_beginning_on_the_handover_day_counts_as_the_first(fn):
    assert fn["heating_warranty_end"]("2024-11-15") == "2026-03-15"
    assert fn["heating_warranty_end"]("2024-11-16") == "2027-03-15"


def test_heating_warranty_accepts_a_season_that_does_not_span_new_year(fn):
    assert fn["heating_warranty_end"]("2024-07-01", "06-01", "09-30") == "2026-09-30"


def test_warranty_until_per_category(fn):
    assert fn["warranty_until"]("waterproofing", "2024-06-01") == "2029-06-01"
    assert fn["warranty_until"]("decoration", "2024-06-01") == "2026-06-01"
    assert fn["warranty_until"]("installation", "2024-06-01") == "2026-06-01"
    assert fn["warranty_until"]("heating_cooling", "2024-06-01") == "2026-03-15"
    assert fn["warranty_until"]("hot_water", "2024-06-01") is None
    assert fn["warranty_until"]("other", "2024-06-01") is None


def test_a_leap_day_handover_ends_on_28_february(fn):
    assert fn["warranty_until"]("decoration", "2024-02-29") == "2026-02-28"
    assert fn["in_warranty"]("decoration", "2024-02-29", "2026-02-28") is True
    assert fn["in_warranty"]("decoration", "2024-02-29", "2026-03-01") is False


@pytest.mark.parametrize(
    ("reported_at", "expected"),
    [("2029-05-31T17:00:00+08:00", True), ("2029-06-01T23:59:59+08:00", True), ("2029-06-02T00:00:00+08:00", False)],
)
def test_waterproofing_warranty_includes_its_last_day(fn, reported_at, expected):
    assert fn["in_warranty"]("waterproofing", "2024-06-01", reported_at) is expected


@pytest.mark.parametrize(
    ("reported_at", "expected"), [("2026-03-14", True), ("2026-03-15", True), ("2026-03-16", False)]
)
def test_heating_warranty_includes_the_last_day_of_the_second_season(fn, reported_at, expected):
    assert fn["in_warranty"]("heating_cooling", "2024-06-01", reported_at) is expected


def test_in_warranty_reads_the_report_day_in_shanghai_time(fn):
    # 2026-03-15T16:30Z is already 2026-03-16 00:30 in Shanghai: one day too late
    assert fn["in_warranty"]("heating_cooling", "2024-06-01", "2026-03-15T16:30:00Z") is False


def test_categories_without_developer_warranty_are_never_in_warranty(fn):
    assert fn["in_warranty"]("hot_water", "2024-06-01", "2024-06-02") is False
    assert fn["in_warranty"]("other", "2024-06-01", "2024-06-01") is False
