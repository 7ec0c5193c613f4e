"""When a scheduled process starts: the due moments of its timer start event.

Why not SpiffWorkflow's timer: a timer start event there waits *inside* one instance, and a cycle
fires inside that instance again and again (a daily check started late opened every missed day at
once), and it steps a cycle on from its last firing (``P3M`` from 25 Dec → 25 Mar → 23 Jun, since
it adds 90 days). Here the start event's timer is a *schedule*: a series of due moments, each one
computed from the anchor (the k-th moment of ``R/2026-12-25T09:00+08:00/P3M`` is the anchor plus
3k calendar months, so it stays on the 25th), and the timer loop starts one instance per moment
(engine/usecases/scheduled_starts.py).

What a start event's timer may say (the BPMN text, as the process owner writes it):

- ``timeDate``: one ISO instant (``2027-01-04T09:00:00+08:00``): one start.
- ``timeCycle``: an ISO repeating interval ``R[n]/START/PERIOD`` (``R/2026-11-04T09:00:00+08:00/P1D``,
  ``R12/2027-01-01T09:00+08:00/P1M``) or ``R[n]/PERIOD`` (anchored when the version is deployed);
  months and years are calendar months (the 31st becomes the month's last day, never drifting).
- ``timeCycle``: one of the calendar functions below, in Shanghai time, on the business calendar:
  ``every_day("09:00")``, ``every_working_day("09:00")`` (statutory working days, 调休 included),
  ``every_week(1, "09:00")`` (ISO weekday, 1 = Monday), ``every_month(25, "09:00")`` (day 31: the
  month's last day), ``every_quarter(25, "09:00")`` (the 25th of each quarter's last month: March,
  June, September, December). Each takes an optional last argument, the first day it may fire
  (``every_day("09:00", "2026-11-04")``).

Pure: no clock, no storage; the calendar is given."""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.clock import SHANGHAI, parse_instant
from engine.rules.calendar import BusinessCalendar

__all__ = ["CALENDAR_RULES", "CATCH_UP", "Schedule", "ScheduleInvalid", "parse_schedule"]

CATCH_UP = ("each", "one")      # after downtime: one instance per missed moment, or one for them all
_SEARCH_DAYS = 400              # the longest gap between two moments of a calendar rule (a quarter, holidays)
_PERIOD = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                     r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MIN_PERIOD = timedelta(minutes=1)


class ScheduleInvalid(ValueError):
    """The start event's timer is no schedule wuye can run; the message says why, in Chinese first."""


def _months_later(t: datetime, months: int) -> datetime:
    """``t`` (Shanghai wall time) ``months`` calendar months later, the day kept or, when the month is
    shorter, its last day (31 Jan + 1 month = 28/29 Feb; + 2 months = 31 Mar)."""
    year, month = divmod(t.month - 1 + months, 12)
    year += t.year
    day = min(t.day, _month_length(year, month + 1))
    return t.replace(year=year, month=month + 1, day=day)


def _month_length(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@dataclass(frozen=True)
class _Cycle:
    """``R[n]/START/PERIOD``: the k-th moment is START + k periods, from START every time."""
    anchor: datetime | None          # None: the version's deploy time
    months: int
    span: timedelta                  # weeks, days and time of the period
    repetitions: int | None          # None: unbounded

    def moment(self, anchor: datetime, k: int) -> datetime:
        local = anchor.astimezone(SHANGHAI)
        return (_months_later(local, self.months * k) + self.span * k).astimezone(UTC)

    def next_after(self, t: datetime, anchor: datetime, calendar: BusinessCalendar) -> datetime | None:
        anchor = self.anchor or anchor
        k = self.index_after(t, anchor)
        if self.repetitions is not None and k >= self.repetitions:
            return None
        return self.moment(anchor, k)

    def index_after(self, t: datetime, anchor: datetime) -> int:
        """The index of the first moment strictly after ``t`` (the repetitions not counted)."""
        if t < anchor:
            return 0
        longest = timedelta(days=31 * self.months) + self.span
        k = max(0, int((t - anchor) / longest) - 1)
        while self.moment(anchor, k) <= t:
            k += 1
        return k

    def between(self, after: datetime, until: datetime, anchor: datetime, keep: int) -> tuple[list[datetime], int]:
        anchor = self.anchor or anchor
        first, end = self.index_after(after, anchor), self.index_after(until, anchor)   # moments first..end-1
        if self.repetitions is not None:
            end = min(end, self.repetitions)
        if end <= first:
            return [], 0
        start = max(first, end - keep)
        return [self.moment(anchor, k) for k in range(start, end)], start - first


@dataclass(frozen=True)
class _Calendar:
    """A calendar function: the days it picks, at one time of day (Shanghai), from ``since`` on."""
    picks: Callable[[date, BusinessCalendar], bool]
    at: time
    since: date | None

    def next_after(self, t: datetime, anchor: datetime, calendar: BusinessCalendar) -> datetime | None:
        day = t.astimezone(SHANGHAI).date()
        if self.since is not None and day < self.since:
            day = self.since
        for _ in range(_SEARCH_DAYS):
            moment = datetime.combine(day, self.at, tzinfo=SHANGHAI).astimezone(UTC)
            if moment > t and self.picks(day, calendar):
                return moment
            day += timedelta(days=1)
        return None


@dataclass(frozen=True)
class _Once:
    at: datetime

    def next_after(self, t: datetime, anchor: datetime, calendar: BusinessCalendar) -> datetime | None:
        return self.at if self.at > t else None


@dataclass(frozen=True)
class Schedule:
    """The due moments of one timer start event. ``anchor``: when the version was deployed (for a
    cycle without a start, and as the earliest moment of every schedule a new version begins)."""
    kind: str
    text: str
    rule: _Cycle | _Calendar | _Once

    def next_after(self, t: datetime, anchor: datetime, calendar: BusinessCalendar) -> datetime | None:
        """The first due moment strictly after ``t``; None when the schedule has run out."""
        return self.rule.next_after(t, anchor, calendar)

    def due_between(self, after: datetime, until: datetime, anchor: datetime, calendar: BusinessCalendar,
                    keep: int) -> tuple[list[datetime], int]:
        """The moments in (after, until], oldest first: the newest ``keep`` of them, and how many
        older ones are left out. Bounded: a cycle jumps to them arithmetically; a calendar rule
        looks at each day between (a few thousand after years of downtime)."""
        if isinstance(self.rule, _Cycle):
            return self.rule.between(after, until, anchor, keep)
        out: list[datetime] = []
        left_out = 0
        t = after
        while True:
            nxt = self.next_after(t, anchor, calendar)
            if nxt is None or nxt > until:
                return out, left_out
            out.append(nxt)
            if len(out) > keep:
                out.pop(0)
                left_out += 1
            t = nxt


def _clock(value: object, what: str) -> time:
    m = _CLOCK.match(value) if isinstance(value, str) else None
    if not m:
        raise ScheduleInvalid(f"{what}：时间应写作 \"09:00\" (the time of day must be written \"HH:MM\", "
                              f"got {value!r})")
    return time(int(m.group(1)), int(m.group(2)))


def _since(args: list[object], what: str) -> date | None:
    if not args:
        return None
    if len(args) > 1 or not isinstance(args[0], str):
        raise ScheduleInvalid(f"{what}：参数过多 (too many arguments)")
    try:
        return date.fromisoformat(args[0])
    except ValueError:
        raise ScheduleInvalid(f"{what}：起始日期应写作 \"2026-11-04\" (the first day must be an ISO date, "
                              f"got {args[0]!r})") from None


def _whole(value: object, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScheduleInvalid(f"{what}：应为 {low}–{high} 的整数 (must be a whole number from {low} to {high}, "
                              f"got {value!r})")
    return value


def _every_day(args: list[object]) -> _Calendar:
    return _Calendar(lambda d, c: True, _clock(args[0] if args else None, "every_day"), _since(args[1:], "every_day"))


def _every_working_day(args: list[object]) -> _Calendar:
    return _Calendar(lambda d, c: c.is_working_day(d), _clock(args[0] if args else None, "every_working_day"),
                     _since(args[1:], "every_working_day"))


def _every_week(args: list[object]) -> _Calendar:
    weekday = _whole(args[0] if args else None, 1, 7, "every_week 星期 (weekday, 1 = Monday)")
    return _Calendar(lambda d, c: d.isoweekday() == weekday, _clock(args[1] if len(args) > 1 else None, "every_week"),
                     _since(args[2:], "every_week"))


def _monthly(name: str, months: frozenset[int]) -> Callable[[list[object]], _Calendar]:
    def rule(args: list[object]) -> _Calendar:
        day = _whole(args[0] if args else None, 1, 31, f"{name} 日 (day of the month)")
        return _Calendar(lambda d, c: d.month in months and d.day == min(day, _month_length(d.year, d.month)),
                         _clock(args[1] if len(args) > 1 else None, name), _since(args[2:], name))
    return rule


CALENDAR_RULES: dict[str, Callable[[list[object]], _Calendar]] = {
    "every_day": _every_day,
    "every_working_day": _every_working_day,
    "every_week": _every_week,
    "every_month": _monthly("every_month", frozenset(range(1, 13))),
    "every_quarter": _monthly("every_quarter", frozenset({3, 6, 9, 12})),   # each quarter's last month
}


def parse_schedule(kind: str, text: str) -> Schedule:
    """The schedule a start event's ``timeDate``/``timeCycle`` text says; ScheduleInvalid otherwise.
    A quoted literal ("R/…/P1D") is read as the literal."""
    text = (text or "").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    if kind == "timeDate":
        try:
            return Schedule(kind, text, _Once(parse_instant(text)))
        except ValueError:
            raise ScheduleInvalid(f"计划启动的日期应为 ISO 时间，如 2027-01-04T09:00:00+08:00 "
                                  f"(a scheduled start's timeDate must be an ISO instant, got {text!r})") from None
    if kind != "timeCycle":
        raise ScheduleInvalid("计划启动须用 timeDate 或 timeCycle，不能用 timeDuration "
                              "(a timer start event needs a timeDate or a timeCycle: a duration from when?)")
    if text.startswith("R"):
        return Schedule(kind, text, _iso_cycle(text))
    return Schedule(kind, text, _calendar_call(text))


def _iso_cycle(text: str) -> _Cycle:
    parts = text.split("/")
    count = parts[0][1:]
    if len(parts) not in (2, 3) or (count and not count.isdigit()):
        raise ScheduleInvalid(f"重复周期应写作 R/开始时间/周期，如 R/2026-12-25T09:00:00+08:00/P3M "
                              f"(a cycle must read R[n]/START/PERIOD, got {text!r})")
    anchor = None
    if len(parts) == 3:
        try:
            anchor = parse_instant(parts[1])
        except ValueError:
            raise ScheduleInvalid(f"重复周期的开始时间无效 (the cycle's start is not an ISO instant: {parts[1]!r})") \
                from None
    m = _PERIOD.match(parts[-1])
    if not m:
        raise ScheduleInvalid(f"重复周期的周期无效，如 P1D、P1M、P3M (the cycle's period is not an ISO duration: "
                              f"{parts[-1]!r})")
    y, mo, w, d, h, mi, s = (int(g or 0) for g in m.groups())
    span = timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)
    if y * 12 + mo == 0 and span < _MIN_PERIOD:
        raise ScheduleInvalid(f"计划启动的周期至少1分钟 (a schedule's period must be at least a minute: {parts[-1]!r})")
    if y * 12 + mo > 12 * 10 or span > timedelta(days=3660):
        raise ScheduleInvalid(f"计划启动的周期至多10年 (a schedule's period may be at most ten years: {parts[-1]!r})")
    return _Cycle(anchor, y * 12 + mo, span, int(count) if count else None)


def _calendar_call(text: str) -> _Calendar:
    """``every_quarter(25, "09:00")``: read as a call with literal arguments, never evaluated."""
    names = ", ".join(CALENDAR_RULES)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        node = None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords
            and node.func.id in CALENDAR_RULES):
        raise ScheduleInvalid(f"计划启动应为 ISO 重复周期（R/…/P1D）或日历函数 {names} "
                              f"(a scheduled start must be an ISO cycle or one of {names}; got {text!r})")
    try:
        args = [ast.literal_eval(a) for a in node.args]
    except ValueError:
        raise ScheduleInvalid(f"{node.func.id}：参数须为常量 (its arguments must be literals: {text!r})") from None
    return CALENDAR_RULES[node.func.id](args)
