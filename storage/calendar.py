"""The business calendar's repository: the named days, the years with official data, and the
versions (changes) that set them. A change replaces whole years: a year's days are exactly the ones
its newest notice names."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import CalendarChange, CalendarDay, CalendarYear, Instance, Task
from storage.prepared import Prepared


class CalendarRepository:
    _VERSION = Prepared(select(func.max(CalendarChange.version)))

    def __init__(self, session: Session):
        self.s = session
        self._version: int | None = None     # read once per transaction (a step asks twice or more)

    def version(self) -> int:
        """The newest change's version; 0 while the table was never filled. Read once per unit of
        work (what this transaction changes itself, ``replace_years``, is counted)."""
        if self._version is None:
            rows = self._VERSION.rows(self.s, {})
            self._version = int(rows[0][0] or 0) if rows else 0
        return self._version

    def years(self) -> list[CalendarYear]:
        return list(self.s.scalars(select(CalendarYear).order_by(CalendarYear.year)))

    def days(self, year: int | None = None) -> list[CalendarDay]:
        query = select(CalendarDay).order_by(CalendarDay.day)
        if year is not None:
            query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        return list(self.s.scalars(query))

    def changes(self) -> list[CalendarChange]:
        return list(self.s.scalars(select(CalendarChange).order_by(CalendarChange.version.desc())))

    def replace_years(self, *, version: int, at: datetime, actor: str, source: str, comment: str,
                      days: Iterable[tuple[date, str, str]]) -> CalendarChange:
        """Record change ``version``: the years of ``days`` now hold exactly those days."""
        rows = list(days)
        years = sorted({d.year for d, _, _ in rows})
        for year in years:
            self.s.execute(delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                     CalendarDay.day <= date(year, 12, 31)))
            held = self.s.get(CalendarYear, year)
            if held is None:
                self.s.add(CalendarYear(year=year, source=source, version=version))
            else:
                held.source, held.version = source, version
        self.s.add_all(CalendarDay(day=d, kind=kind, name=name, version=version) for d, kind, name in rows)
        change = CalendarChange(version=version, at=at, actor=actor, source=source, comment=comment,
                                years=years, days=len(rows))
        self.s.add(change)
        self.s.flush()
        self._version = None
        return change

    def open_deadlines(self) -> list[tuple[datetime, datetime]]:
        """(created, due) of every ready task with a deadline: the timers a change may concern."""
        rows = self.s.execute(select(Task.created_at, Task.due_at)
                              .where(Task.state == "ready", Task.due_at.is_not(None)))
        return [(created, due) for created, due in rows if due is not None]

    def instances_with_timers(self, limit: int = 10_000) -> list[int]:
        """Running instances that wait on a timer: the ones a calendar change may concern."""
        return list(self.s.scalars(select(Instance.id).where(Instance.status == "running",
                                                             Instance.next_timer_at.is_not(None))
                                   .order_by(Instance.id).limit(limit)))
