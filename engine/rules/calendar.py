"""The business calendar: which instants are working time, and deadline arithmetic over it.

Why: deadlines such as C3 ("8 working hours", M0 4.1) and MI1 ("within 1 working day") count
only working time, and China moves working days around public holidays (调休: a Saturday or
Sunday can be a working day). Procedures §2 fixes the defaults.

Decisions:
- Working time is ``[work_start, work_end)`` — 08:30 inclusive to 17:30 exclusive — on working
  days, with NO lunch break: 08:30–17:30 is nine straight working hours. The desk is staffed over
  lunch and the manuals name no break, so an hour at 12:00 counts like any other.
- Working days come from a :class:`DayTable`: the company's table in the database (seeded from
  chinese-calendar for the years that package covers, and extended by an administrator from the
  State Council's notice). A year the table holds is *official*; on a day of any other year we
  estimate Monday–Friday, and ``is_official`` says so, so that a deadline counted over such a day
  is shown as estimated (预估) and `wuye calendar check` fails — never silently wrong.
- Working hours may differ per group (``hours``): security and the engineering duty desk may
  work around the clock; a group not named keeps the default 08:30–17:30.
- ``add_working_hours`` starting outside working time begins counting at the next opening; a
  deadline that lands exactly on closing time stays at closing time (17:30), it does not roll
  over to the next morning.
- ``add_working_days(start, n)`` ends at the close of business (17:30) of the n-th working day
  AFTER the start's local day, whatever the start's time of day: Friday (any time) + 1 → Monday
  17:30; Saturday + 1 → Monday 17:30. "Within 1 working day" therefore always gives the whole
  next working day, never a partial one. n = 0 means the close of the start's day if that is a
  working day, otherwise of the next working day.
- Inputs must be tz-aware (naive → ValueError); outputs are aware UTC datetimes.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from math import isfinite
from zoneinfo import ZoneInfo

import chinese_calendar

from engine.clock import SHANGHAI, require_aware

__all__ = ["AROUND_THE_CLOCK", "BusinessCalendar", "DayTable", "WorkingHours"]

# A guard against runaway loops: no real calendar has this many non-working days in a row.
_MAX_IDLE_DAYS = 366


HOLIDAY, WORKDAY = "holiday", "workday"


@dataclass(frozen=True)
class DayTable:
    """The named days (date → (kind, name)) and the years they cover officially."""
    days: Mapping[date, tuple[str, str]]
    years: frozenset[int]
    version: int = 0

    @classmethod
    def from_chinese_calendar(cls) -> DayTable:
        """The chinese-calendar package's data: the seed of a new database's table."""
        days: dict[date, tuple[str, str]] = {}
        for d, name in chinese_calendar.holidays.items():
            days[d] = (HOLIDAY, _holiday_name(name))
        for d, name in chinese_calendar.workdays.items():
            if d.weekday() >= 5:     # the package lists every Monday–Friday too: keep the 调休 weekend days
                days[d] = (WORKDAY, _holiday_name(name))
        return cls(days, frozenset(range(min(days).year, max(days).year + 1)))

    def named(self, year: int) -> list[tuple[date, str, str]]:
        return sorted((d, kind, name) for d, (kind, name) in self.days.items() if d.year == year)


_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
          "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
          "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def _holiday_name(value: object) -> str:
    """chinese-calendar's English holiday name as the notice says it (周末 for a plain weekend)."""
    name = value.value if hasattr(value, "value") else value
    if not isinstance(name, str) or not name:
        return ""
    english = name.split(",")[0]
    return _NAMES.get(english, english)


@dataclass(frozen=True)
class WorkingHours:
    """A group's working time on working days: [start, end); ``None`` for around the clock."""
    start: time = time(8, 30)
    end: time = time(17, 30)
    every_day: bool = False   # True: 24/7, every day of the year, holidays included


AROUND_THE_CLOCK = WorkingHours(time(0, 0), time(23, 59, 59, 999999), every_day=True)


class BusinessCalendar:
    """Working days and hours (default 08:30–17:30, Asia/Shanghai)."""

    def __init__(
        self,
        work_start: time = time(8, 30),
        work_end: time = time(17, 30),
        tz: ZoneInfo = SHANGHAI,
        table: DayTable | None = None,
        hours: Mapping[str, WorkingHours] | None = None,
    ) -> None:
        if work_start.tzinfo is not None or work_end.tzinfo is not None:
            raise ValueError("work_start/work_end must be local wall-clock times without tzinfo")
        if not work_start < work_end:
            raise ValueError(f"work_start {work_start} must be before work_end {work_end}")
        self.work_start = work_start
        self.work_end = work_end
        self.tz = tz
        self.table = table if table is not None else _package_table()
        self.hours = dict(hours or {})

    def for_group(self, group: str | None) -> BusinessCalendar:
        """The calendar as ``group`` works it: its own hours if it has them, else this one."""
        own = self.hours.get(group or "")
        if own is None:
            return self
        if own.every_day:
            return _AroundTheClock(tz=self.tz, table=self.table, hours=self.hours)
        return BusinessCalendar(own.start, own.end, self.tz, self.table, self.hours)

    def is_official(self, d: date) -> bool:
        """Whether the table holds official data for ``d``'s year (else its working status is estimated)."""
        return d.year in self.table.years

    def first_unofficial(self, start: date, end: date) -> date | None:
        """The first day in [start, end] without official data, if any."""
        year = start.year
        while year <= end.year:
            if year not in self.table.years:
                return max(start, date(year, 1, 1))
            year += 1
        return None

    # --- days -------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True on statutory working days (incl. 调休 weekends); Mon–Fri for unknown years."""
        if isinstance(d, datetime):
            d = d.astimezone(self.tz).date() if d.tzinfo else d.date()
        if not isinstance(d, date):
            raise ValueError(f"is_working_day needs a date, got {type(d).__name__}: {d!r}")
        named = self.table.days.get(d)
        if named is not None:
            return named[0] == WORKDAY
        return d.weekday() < 5

    def _next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        for _ in range(_MAX_IDLE_DAYS):
            d += timedelta(days=1)
            if self.is_working_day(d):
                return d
        raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days after {d}")

    def _at(self, d: date, t: time) -> datetime:
        """Local wall-clock ``d t`` as an aware UTC datetime."""
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC)

    # --- instants ---------------------------------------------------------------------------

    def is_working_time(self, t: datetime) -> bool:
        """True if ``t`` falls in [work_start, work_end) on a working day."""
        local = require_aware(t).astimezone(self.tz)
        return self.is_working_day(local.date()) and self.work_start <= local.time() < self.work_end

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` of working time (fractions allowed, must be ≥ 0)."""
        cursor = require_aware(start, "start").astimezone(UTC)
        if isinstance(hours, bool) or not isinstance(hours, (int, float)):
            raise ValueError(f"hours must be a number, got {type(hours).__name__}: {hours!r}")
        if (isinstance(hours, float) and not isfinite(hours)) or hours < 0:
            raise ValueError(f"hours must be a finite number ≥ 0, got {hours!r}")
        remaining = timedelta(hours=hours)
        day = cursor.astimezone(self.tz).date()
        idle = 0
        while True:
            if self.is_working_day(day):
                idle = 0
                opening, closing = self._at(day, self.work_start), self._at(day, self.work_end)
                cursor = max(cursor, opening)
                if cursor < closing:
                    available = closing - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days after {day}")
            day += timedelta(days=1)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Close of business of the n-th working day after ``start``'s local day (see module doc)."""
        local = require_aware(start, "start").astimezone(self.tz)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a whole number of working days ≥ 0, got {n!r}")
        day = local.date()
        if n == 0 and not self.is_working_day(day):
            day = self._next_working_day(day)
        for _ in range(n):
            day = self._next_working_day(day)
        return self._at(day, self.work_end)

    def end_of_day(self, t: datetime) -> datetime:
        """23:59:59 local time of ``t``'s day — "same day" in procedures §2."""
        local = require_aware(t).astimezone(self.tz)
        return self._at(local.date(), time(23, 59, 59))

    def end_of_next_day(self, t: datetime) -> datetime:
        """23:59:59 local time of the calendar day after ``t``'s day (R4 "by the end of the next day")."""
        local = require_aware(t).astimezone(self.tz)
        return self._at(local.date() + timedelta(days=1), time(23, 59, 59))


class _AroundTheClock(BusinessCalendar):
    """A group on duty 24/7 (security, the engineering duty desk): every hour of every day counts."""

    def __init__(self, *, tz: ZoneInfo, table: DayTable, hours: Mapping[str, WorkingHours]) -> None:
        super().__init__(time(0, 0), time(23, 59, 59, 999999), tz, table, hours)

    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime):
            d = d.astimezone(self.tz).date() if d.tzinfo else d.date()
        return True

    def is_working_time(self, t: datetime) -> bool:
        require_aware(t)
        return True

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        cursor = require_aware(start, "start").astimezone(UTC)
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number ≥ 0, got {hours!r}")
        return cursor + timedelta(hours=hours)


@cache
def _package_table() -> DayTable:
    return DayTable.from_chinese_calendar()
