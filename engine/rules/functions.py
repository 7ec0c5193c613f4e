"""Functions that BPMN expressions (timer expressions, gateway conditions, DMN cells) may call.

Why: process owners write deadlines such as ``add_working_hours(received_at, 8)`` in the BPMN
files, which are the source of truth at run time (procedures §2–6). These functions are handed
to SpiffWorkflow's sandboxed script engine, so they are pure (no I/O; "now" comes from the
injected clock), bounded (limits on every count, no unbounded loops) and strict: bad input raises
ValueError with a message a process owner can act on.

Inputs: instants are ISO strings (form values such as ``'2026-11-20T17:00:00+08:00'`` or
``'2026-11-20'``; no offset means Shanghai time) or aware datetimes; dates are ISO strings, dates
or aware datetimes (their Shanghai calendar day). Instant-returning functions return ISO 8601
strings with offset, because SpiffWorkflow's timer expressions must evaluate to a string.

Warranty periods (procedures §4, M0 4.2.3) follow the Civil Code's counting rule (arts. 201–202):
a period of N years from the handover ends on the same month/day N years later, that day
included; with no such day (Feb 29) it ends on Feb 28.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from math import isfinite
from typing import Any, ParamSpec, TypeVar

from engine.clock import SHANGHAI, Clock, parse_instant, require_aware, to_iso
from engine.rules import desks
from engine.rules.calendar import BusinessCalendar
from engine.rules.groups import GROUPS

__all__ = ["HEATING_COOLING", "NO_WARRANTY", "WARRANTY_YEARS", "expression_functions"]

# Developer's warranty per repair category, in years from handover (procedures §4).
WARRANTY_YEARS: dict[str, int] = {"waterproofing": 5, "decoration": 2, "installation": 2}
HEATING_COOLING = "heating_cooling"  # two heating seasons, see heating_warranty_end
NO_WARRANTY = frozenset({"hot_water", "other"})
_CATEGORIES = sorted({*WARRANTY_YEARS, HEATING_COOLING, *NO_WARRANTY})

# Bounds that keep every call cheap and every result a representable date.
_MAX_PLAIN_DAYS = 36_600  # 100 years
_MAX_WORKING_HOURS = 20_000  # ~9 years of working days
_MAX_WORKING_DAYS = 2_500  # ~10 years
_MAX_YEARS = 1_000
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _instant(value: object, what: str) -> datetime:
    """An ISO string, aware datetime or date (00:00 Shanghai) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return require_aware(value, what).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time(), tzinfo=SHANGHAI).astimezone(UTC)
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError as e:
            raise ValueError(f"{what}: {e}") from None
    raise ValueError(f"{what} must be an ISO date/time string or a datetime, got {type(value).__name__}: {value!r}")


def _day(value: object, what: str) -> date:
    """The Shanghai calendar day of a date, aware datetime or ISO string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return _instant(value, what).astimezone(SHANGHAI).date()


def _number(value: object, what: str, limit: float, *, negative: bool = True, whole: bool = False) -> float:
    """Validate a count: a finite int/float within ±limit (≥ 0 unless ``negative``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, got {type(value).__name__}: {value!r}")
    if isinstance(value, float) and not isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    low = -limit if negative else 0
    if not low <= value <= limit:
        raise ValueError(f"{what} must be between {low} and {limit}, got {value!r}")
    if whole and not float(value).is_integer():
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return value


def _month_day(text: object, what: str) -> tuple[int, int]:
    """Parse a season boundary 'MM-DD' (Feb 29 is refused: it is not in every year)."""
    m = _MONTH_DAY.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"{what} must be 'MM-DD' such as '11-15', got {text!r}")
    month, day = int(m.group(1)), int(m.group(2))
    try:
        date(2001, month, day)
    except ValueError:
        raise ValueError(f"{what} is not a day that exists every year: {text!r}") from None
    return month, day


def _add_years(d: date, n: int) -> date:
    year = d.year + n
    if not 1 <= year <= 9999:
        raise ValueError(f"{d.isoformat()} plus {n} years is out of the supported range")
    try:
        return d.replace(year=year)
    except ValueError:  # Feb 29 in a non-leap year → Feb 28 (Civil Code art. 202)
        return d.replace(year=year, day=28)


def _group(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in GROUPS:
        raise ValueError(f"{name}: group must be a group id such as 'security', got {value!r}")
    return value


def _shift(t: object, delta: timedelta, name: str) -> str:
    return to_iso(_instant(t, f"{name}: t") + delta)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _range_checked(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn date overflow (results past year 9999) into the ValueError callers expect. (The name and
    doc are copied by hand: ``functools.wraps`` of the ~20 functions cost most of building them, and
    a step builds them for its script engine.)"""

    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except OverflowError:
            raise ValueError(f"{func.__name__}: result is out of the supported date range") from None

    wrapper.__name__, wrapper.__qualname__, wrapper.__doc__ = func.__name__, func.__qualname__, func.__doc__
    return wrapper


def _heating_warranty_end(delivered_on: object, season_start: object, season_end: object) -> date:
    """End of the second heating season beginning on or after the handover day."""
    handed = _day(delivered_on, "heating_warranty_end: delivered_on")
    start = _month_day(season_start, "heating_warranty_end: season_start")
    end = _month_day(season_end, "heating_warranty_end: season_end")
    if start == end:
        raise ValueError("heating_warranty_end: season_start and season_end must differ")
    first_year = handed.year if date(handed.year, *start) >= handed else handed.year + 1
    second_year = first_year + 1
    end_year = second_year + 1 if end < start else second_year  # season runs over New Year
    if end_year > 9999:
        raise ValueError("heating_warranty_end: delivered_on is out of the supported range")
    return date(end_year, *end)


def _warranty_until(category: object, delivered_on: object, season_start: object, season_end: object) -> date | None:
    if category in WARRANTY_YEARS:
        return _add_years(_day(delivered_on, "warranty_until: delivered_on"), WARRANTY_YEARS[category])
    if category == HEATING_COOLING:
        return _heating_warranty_end(delivered_on, season_start, season_end)
    if category in NO_WARRANTY:
        _day(delivered_on, "warranty_until: delivered_on")  # still validate the input
        return None
    raise ValueError(f"warranty_until: unknown category {category!r}; expected one of {', '.join(_CATEGORIES)}")


def expression_functions(clock: Clock, calendar: BusinessCalendar,
                         desk_table: Callable[[], desks.DeskTable] | None = None) -> dict[str, Callable[..., Any]]:
    """Build the name → function map given to the script engine, bound to a clock and calendar.
    ``desk_table``: how the move-in desk functions get their table (the step's: the version deployed
    to the database); None reads the seed file."""
    desks_now = desk_table or desks.desk_table

    def move_in_desk(building: object) -> str:
        """The id of the desk serving ``building``."""
        return desks.move_in_desk(building, desks_now())

    def move_in_desk_name(desk_id: object) -> str:
        """The Chinese name of a desk id."""
        return desks.move_in_desk_name(desk_id, desks_now())

    def now() -> str:
        """The clock's current time as ISO 8601 with offset."""
        return to_iso(clock.now())

    def add_minutes(t: object, n: object) -> str:
        """``t`` plus ``n`` wall-clock minutes (may be negative)."""
        return _shift(t, timedelta(minutes=_number(n, "add_minutes: n", _MAX_PLAIN_DAYS * 1440)), "add_minutes")

    def add_hours(t: object, n: object) -> str:
        """``t`` plus ``n`` wall-clock hours (may be negative)."""
        return _shift(t, timedelta(hours=_number(n, "add_hours: n", _MAX_PLAIN_DAYS * 24)), "add_hours")

    def add_days(t: object, n: object) -> str:
        """``t`` plus ``n`` calendar days ("within N days", procedures §2)."""
        return _shift(t, timedelta(days=_number(n, "add_days: n", _MAX_PLAIN_DAYS)), "add_days")

    def add_working_hours(t: object, n: object, group: object = None) -> str:
        """``t`` plus ``n`` working hours (≥ 0), counting only working time (``group``'s own hours
        if it has them: security counts every hour)."""
        hours = _number(n, "add_working_hours: n", _MAX_WORKING_HOURS, negative=False)
        counted = calendar.for_group(_group(group, "add_working_hours"))
        return to_iso(counted.add_working_hours(_instant(t, "add_working_hours: t"), float(hours)))

    def add_working_days(t: object, n: object, group: object = None) -> str:
        """Close of business of the n-th working day after ``t``'s day (``group``'s closing time)."""
        days = _number(n, "add_working_days: n", _MAX_WORKING_DAYS, negative=False, whole=True)
        counted = calendar.for_group(_group(group, "add_working_days"))
        return to_iso(counted.add_working_days(_instant(t, "add_working_days: t"), int(days)))

    def end_of_day(t: object) -> str:
        """23:59:59 Shanghai time of ``t``'s day ("same day")."""
        return to_iso(calendar.end_of_day(_instant(t, "end_of_day: t")))

    def end_of_next_day(t: object) -> str:
        """23:59:59 Shanghai time of the day after ``t``'s day."""
        return to_iso(calendar.end_of_next_day(_instant(t, "end_of_next_day: t")))

    def is_working_time(t: object, group: object = None) -> bool:
        """Whether ``t`` is inside working time (e.g. C3: 8 working hours vs 24 h)."""
        counted = calendar.for_group(_group(group, "is_working_time"))
        return counted.is_working_time(_instant(t, "is_working_time: t"))

    def is_working_day(d: object) -> bool:
        """Whether ``d``'s day is a working day (statutory holidays and 调休 counted)."""
        return calendar.is_working_day(_day(d, "is_working_day: d"))

    def earlier(a: object, b: object) -> str | None:
        """The earlier instant as ISO; a None/'' argument is ignored (both blank → None)."""
        given = [_instant(v, "earlier") for v in (a, b) if not _blank(v)]
        return to_iso(min(given)) if given else None

    def later(a: object, b: object) -> str | None:
        """The later instant as ISO; a None/'' argument is ignored (both blank → None)."""
        given = [_instant(v, "later") for v in (a, b) if not _blank(v)]
        return to_iso(max(given)) if given else None

    def hour_of(t: object) -> float:
        """``t``'s time of day in Shanghai, in hours (08:30 → 8.5): opening hours, bookings by the hour."""
        local = _instant(t, "hour_of: t").astimezone(SHANGHAI)
        return local.hour + local.minute / 60 + local.second / 3600

    def date_(s: object) -> date:
        """The Shanghai calendar day of an ISO string, date or aware datetime."""
        return _day(s, "date")

    def add_years(d: object, n: object) -> date:
        """``d``'s day plus ``n`` years; Feb 29 → Feb 28 in a non-leap year."""
        years = _number(n, "add_years: n", _MAX_YEARS, whole=True)
        return _add_years(_day(d, "add_years: d"), int(years))

    def days_between(a: object, b: object) -> int:
        """Calendar days from ``a``'s day to ``b``'s day (negative if ``b`` is earlier)."""
        return (_day(b, "days_between: b") - _day(a, "days_between: a")).days

    def heating_warranty_end(delivered_on: object, season_start: object = "11-15", season_end: object = "03-15") -> str:
        """ISO date ending the 2nd heating season that begins on/after handover (inclusive)."""
        return _heating_warranty_end(delivered_on, season_start, season_end).isoformat()

    def warranty_until(
        category: object, delivered_on: object, season_start: object = "11-15", season_end: object = "03-15"
    ) -> str | None:
        """Last day (ISO, inclusive) of the developer's warranty for ``category``; None if none."""
        until = _warranty_until(category, delivered_on, season_start, season_end)
        return until.isoformat() if until else None

    def in_warranty(
        category: object,
        delivered_on: object,
        reported_at: object,
        season_start: object = "11-15",
        season_end: object = "03-15",
    ) -> bool:
        """Whether a defect reported at ``reported_at`` is still the developer's (route = developer)."""
        until = _warranty_until(category, delivered_on, season_start, season_end)
        reported = _day(reported_at, "in_warranty: reported_at")
        if reported < _day(delivered_on, "in_warranty: delivered_on"):
            raise ValueError(f"in_warranty: reported_at {reported} is before delivered_on {delivered_on!r}")
        return until is not None and reported <= until

    functions: dict[str, Callable[..., Any]] = {
        "now": now,
        "add_minutes": add_minutes,
        "add_hours": add_hours,
        "add_days": add_days,
        "add_working_hours": add_working_hours,
        "add_working_days": add_working_days,
        "end_of_day": end_of_day,
        "end_of_next_day": end_of_next_day,
        "is_working_time": is_working_time,
        "is_working_day": is_working_day,
        "earlier": earlier,
        "later": later,
        "date": date_,
        "hour_of": hour_of,
        "add_years": add_years,
        "days_between": days_between,
        "heating_warranty_end": heating_warranty_end,
        "warranty_until": warranty_until,
        "in_warranty": in_warranty,
        "move_in_desk": move_in_desk,              # building -> desk id (the move-in desk table)
        "move_in_desk_name": move_in_desk_name,
    }
    return {name: _range_checked(func) for name, func in functions.items()}
