"""The company's calendar table (engine/rules/calendar.py DayTable, engine/rules/calendar_notice.py):
a year entered from the State Council's notice the way an administrator types it, deadlines over the
2027 Spring Festival and a make-up Saturday, per-group working hours, and the days without official
data that make a deadline an estimate."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from engine.clock import SHANGHAI, FixedClock
from engine.errors import BadInput
from engine.rules.calendar import AROUND_THE_CLOCK, BusinessCalendar, DayTable
from engine.rules.calendar_notice import parse_notice
from engine.rules.functions import expression_functions

NOTICE_2027 = (Path(__file__).resolve().parents[1] / "calendar_data" / "notice_2027.csv").read_text("utf-8")


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def with_year(text: str) -> BusinessCalendar:
    """chinese-calendar's years plus the year in ``text``, as saving it does."""
    seed = DayTable.from_chinese_calendar()
    days = dict(seed.days)
    entered = parse_notice(text)
    days.update({d.day: (d.kind, d.name) for d in entered})
    table = DayTable(days, seed.years | {d.day.year for d in entered}, 2)
    return BusinessCalendar(table=table, hours={"security": AROUND_THE_CLOCK})


@pytest.fixture
def cal_2027() -> BusinessCalendar:
    return with_year(NOTICE_2027)


def test_the_package_seed_covers_2004_to_2026_and_2027_is_not_official():
    seed = BusinessCalendar()
    assert seed.is_official(date(2026, 12, 31))
    assert not seed.is_official(date(2027, 1, 1))
    assert seed.first_unofficial(date(2026, 12, 2), date(2027, 1, 30)) == date(2027, 1, 1)
    assert seed.first_unofficial(date(2026, 12, 2), date(2026, 12, 31)) is None


def test_a_deadline_across_the_2027_spring_festival_skips_the_holiday_week(cal_2027):
    fn = expression_functions(FixedClock(sh("2027-02-04 16:00")), cal_2027)
    # Thursday 16:00 + 1 working day: 5–12 February are off, 13–14 a weekend → Monday 15th at closing
    assert fn["add_working_days"]("2027-02-04T16:00:00+08:00", 1) == "2027-02-15T17:30:00+08:00"
    # 1.5 h left on Thursday, the other 6.5 h on Monday the 15th
    assert fn["add_working_hours"]("2027-02-04T16:00:00+08:00", 8) == "2027-02-15T15:00:00+08:00"
    assert not cal_2027.is_working_day(date(2027, 2, 8))       # a Monday inside the festival
    # without the year entered the same deadline would silently be the next day (Mon–Fri guess)
    assert BusinessCalendar().add_working_days(sh("2027-02-04 16:00"), 1) == sh("2027-02-05 17:30")


def test_a_make_up_saturday_counts_as_a_working_day(cal_2027):
    assert cal_2027.is_working_day(date(2027, 2, 20))          # Saturday, 调休
    assert cal_2027.is_working_time(sh("2027-02-20 09:00"))
    fn = expression_functions(FixedClock(sh("2027-02-19 17:00")), cal_2027)
    assert fn["add_working_hours"]("2027-02-19T17:00:00+08:00", 2) == "2027-02-20T10:00:00+08:00"
    assert fn["is_working_day"]("2027-02-20") is True
    assert fn["is_working_day"]("2027-02-27") is False          # the next Saturday is not


def test_security_counts_every_hour_and_other_groups_keep_office_hours(cal_2027):
    fn = expression_functions(FixedClock(sh("2027-02-04 16:00")), cal_2027)
    assert fn["add_working_hours"]("2027-02-04T16:00:00+08:00", 8, "security") == "2027-02-05T00:00:00+08:00"
    assert fn["add_working_hours"]("2027-02-04T16:00:00+08:00", 8, "front_desk") == "2027-02-15T15:00:00+08:00"
    assert fn["is_working_time"]("2027-02-07T03:00:00+08:00", "security") is True
    assert fn["is_working_time"]("2027-02-07T03:00:00+08:00") is False
    with pytest.raises(ValueError, match="group must be a group id"):
        fn["add_working_hours"]("2027-02-04T16:00:00+08:00", 8, "night_shift")


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,元旦\n", 3, "日期无效"),
    ("2027-01-01,holiday,元旦\n\n2027-01-02,holday,元旦\n", 3, "类型应为 holiday"),
    ("2027-01-01,holiday,元旦\n2027-01-04,workday,元旦\n", 2, "本来就上班"),        # a Monday
    ("2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n", 2, "与第 1 行重复"),
    ("2027-02-12~2027-02-05,holiday,春节\n", 1, "日期范围无效"),
    ("2027-01-01\n", 1, "三列"),
])
def test_a_bad_row_is_refused_with_its_line(text, line, reason):
    with pytest.raises(BadInput) as refused:
        parse_notice(text)
    assert f"第 {line} 行" in refused.value.message and reason in refused.value.message
    assert "未保存任何内容" in refused.value.message
    assert f"line {line}" in refused.value.fields


def test_a_paste_may_use_tabs_spaces_ranges_and_chinese_kinds():
    days = parse_notice("2027-02-05\uff5e2027-02-07\t放假\t春节\n2027-02-20 上班 春节\n")
    assert [(d.day.isoformat(), d.kind) for d in days] == [
        ("2027-02-05", "holiday"), ("2027-02-06", "holiday"), ("2027-02-07", "holiday"), ("2027-02-20", "workday")]


def test_an_empty_paste_is_refused():
    with pytest.raises(BadInput, match="没有任何日期"):
        parse_notice("# only a comment\n\n")
