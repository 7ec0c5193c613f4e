"""The business calendar a step counts with: the company's table in the database (storage/calendar.py),
read once per process and per calendar version, so a step pays one small query to learn that the
table it holds is still the newest. A database whose table was never filled (before `wuye init`
seeded it) counts with chinese-calendar's data, as before."""
from __future__ import annotations

import threading

from engine.rules.calendar import AROUND_THE_CLOCK, BusinessCalendar, DayTable
from engine.rules.groups import WORKING_HOURS_24_7
from storage.uow import UnitOfWork

__all__ = ["DEFAULT_CALENDAR", "calendar_for", "table_of"]

HOURS = dict.fromkeys(WORKING_HOURS_24_7, AROUND_THE_CLOCK)
DEFAULT_CALENDAR = BusinessCalendar(hours=HOURS)

_lock = threading.Lock()
_held: dict[str, tuple[int, BusinessCalendar]] = {}


def table_of(uow: UnitOfWork) -> DayTable:
    """The stored table as the calendar reads it (no cache)."""
    version = uow.calendar.version()
    days = {row.day: (row.kind, row.name) for row in uow.calendar.days()}
    return DayTable(days, frozenset(y.year for y in uow.calendar.years()), version)


def calendar_for(uow: UnitOfWork) -> BusinessCalendar:
    """The newest calendar of ``uow``'s database (cached per database and version)."""
    version = uow.calendar.version()
    if version == 0:
        return DEFAULT_CALENDAR
    with _lock:
        held = _held.get(uow.database)
    if held is not None and held[0] == version:
        return held[1]
    calendar = BusinessCalendar(table=table_of(uow), hours=HOURS)
    with _lock:
        _held[uow.database] = (version, calendar)
    return calendar
