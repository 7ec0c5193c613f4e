"""The business calendar kept by the company: preview and save a year of the State Council's notice,
show a year, and check that the next 60 days have official data (engine/rules/calendar.py counts
with it; storage/calendar.py keeps it; each saved change is a version and a ``calendar_changed``
event in the audit chain).

A change does not move the deadlines already set: waiting timers keep the due times they were
given. The preview and the result say how many open deadlines count over a changed day."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from engine.clock import SHANGHAI, Clock, to_iso
from engine.errors import BadInput, NotPermitted
from engine.rules.calendar import BusinessCalendar, DayTable
from engine.rules.calendar_notice import NoticeDay, parse_notice
from engine.rules.permissions import Actor, may_edit_calendar, may_watch_calendar
from engine.step.calendar import calendar_for
from engine.usecases.runner import reads, writes
from storage.uow import UnitOfWork

__all__ = ["CHECK_DAYS", "calendar_check", "calendar_coverage", "calendar_page", "import_calendar",
           "preview_calendar", "seed_calendar", "show_calendar"]

CHECK_DAYS = 60
PACKAGE_SOURCE = "chinese-calendar 1.11.0"
_WEEKDAYS = "一二三四五六日"


def _changes(calendar: BusinessCalendar, days: list[NoticeDay]) -> list[dict[str, Any]]:
    """Every day of the given years whose working status the text changes."""
    given = {d.day: d for d in days}
    out = []
    for year in sorted({d.day.year for d in days}):
        day = date(year, 1, 1)
        while day.year == year:
            was = calendar.is_working_day(day)
            named = given.get(day)
            now = named.kind == "workday" if named else day.weekday() < 5
            if was != now:
                out.append({"date": day.isoformat(), "weekday": f"周{_WEEKDAYS[day.weekday()]}",
                            "was": "上班" if was else "休息", "now": "上班" if now else "休息",
                            "name": named.name if named else "", "official_before": calendar.is_official(day)})
            day += timedelta(days=1)
    return out


def _deadlines_over(uow: UnitOfWork, changed: list[dict[str, Any]]) -> int:
    """Open deadlines whose counting window (task created → due) crosses a changed day."""
    days = {date.fromisoformat(c["date"]) for c in changed}
    if not days:
        return 0
    return sum(1 for created, due in uow.calendar.open_deadlines()
               if any(created.astimezone(SHANGHAI).date() <= d <= due.astimezone(SHANGHAI).date() for d in days))


def _summary(uow: UnitOfWork, days: list[NoticeDay]) -> dict[str, Any]:
    calendar = calendar_for(uow)
    changed = _changes(calendar, days)
    held = {y.year: y.source for y in uow.calendar.years()}
    years = sorted({d.day.year for d in days})
    return {"years": years, "replaces": {str(y): held[y] for y in years if y in held},
            "days": [{"date": d.day.isoformat(), "kind": d.kind, "name": d.name} for d in days],
            "changed": changed, "deadlines_affected": _deadlines_over(uow, changed)}


@reads
def preview_calendar(uow: UnitOfWork, *, actor: Actor, clock: Clock, text: str) -> dict[str, Any]:
    """What saving ``text`` would change: the working days it moves, the years it replaces."""
    may_edit_calendar(actor)
    return _summary(uow, parse_notice(text))


@writes
def import_calendar(uow: UnitOfWork, *, actor: Actor, clock: Clock, text: str, source: str = "",
                    comment: str = "") -> dict[str, Any]:
    """Save ``text``'s years as one new version of the calendar (audited), or refuse it whole."""
    may_edit_calendar(actor)
    if len(comment) > 500 or len(source) > 200:
        raise BadInput("说明过长 (comment longer than 500 / source longer than 200 characters)",
                       fields={"comment": {"key": "calendar.comment", "message": "说明过长"}})
    days = parse_notice(text)
    summary = _summary(uow, days)
    version = uow.calendar.version() + 1
    source = source.strip() or "国务院办公厅通知"
    uow.calendar.replace_years(version=version, at=clock.now(), actor=actor.name, source=source,
                               comment=comment.strip(), days=[(d.day, d.kind, d.name) for d in days])
    uow.events.append(type="calendar_changed", actor=actor.name, at=clock.now(), data={
        "version": version, "years": summary["years"], "source": source, "comment": comment.strip(),
        "days": summary["days"], "changed": [c["date"] for c in summary["changed"]],
        "deadlines_affected": summary["deadlines_affected"]})
    return {"version": version, **summary}


def seed_calendar(uow: UnitOfWork, clock: Clock) -> int | None:
    """A new database's table: chinese-calendar's years (once; `wuye init`). Returns the version."""
    if uow.calendar.version():
        return None
    table = DayTable.from_chinese_calendar()
    rows = sorted((d, kind, name) for d, (kind, name) in table.days.items())
    uow.calendar.replace_years(version=1, at=clock.now(), actor="system", source=PACKAGE_SOURCE,
                               comment="初始数据 (seeded from the chinese-calendar package)", days=rows)
    uow.events.append(type="calendar_changed", actor="system", at=clock.now(), data={
        "version": 1, "years": sorted(table.years), "source": PACKAGE_SOURCE, "days": len(rows)})
    return 1


@reads
def show_calendar(uow: UnitOfWork, *, actor: Actor, clock: Clock, year: int) -> dict[str, Any]:
    """One year: official or estimated, its source and version, and the days it names."""
    if not 1900 <= year <= 2200:
        raise BadInput(f"年份无效 (year out of range): {year}", fields={"year": {"key": "calendar.year"}})
    held = {y.year: y for y in uow.calendar.years()}.get(year)
    calendar = calendar_for(uow)
    days = [{"date": d.isoformat(), "kind": kind, "name": name, "weekday": f"周{_WEEKDAYS[d.weekday()]}"}
            for d, kind, name in calendar.table.named(year)]
    return {"year": year, "official": calendar.is_official(date(year, 1, 1)),
            "source": held.source if held else None, "version": held.version if held else None,
            "days": days, "working_days": sum(calendar.is_working_day(date(year, 1, 1) + timedelta(n))
                                              for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days))}


def calendar_coverage(uow: UnitOfWork, clock: Clock) -> dict[str, Any]:
    """The 60-day check inside a caller's read (every page of an administrator or supervisor)."""
    today = clock.now().astimezone(SHANGHAI).date()
    until = today + timedelta(days=CHECK_DAYS - 1)
    first = calendar_for(uow).first_unofficial(today, until)
    return {"ok": first is None, "from": today.isoformat(), "until": until.isoformat(), "days": CHECK_DAYS,
            "first_uncovered": first.isoformat() if first else None}


@reads
def calendar_check(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """Whether every day of the next 60 has official data (`wuye calendar check`, the banner)."""
    return calendar_coverage(uow, clock)


@reads
def calendar_page(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The administrator's page: the years held, the versions, and the 60-day check."""
    if not may_watch_calendar(actor):
        raise NotPermitted(f"{actor.name} 无权查看工作日历设置 "
                           "(the calendar page is for administrators and supervisors)")
    return {"check": calendar_coverage(uow, clock), "may_edit": "admin" in actor.groups,
            "may_recompute": actor.is_supervisor,
            "years": [{"year": y.year, "source": y.source, "version": y.version} for y in uow.calendar.years()],
            "changes": [{"version": c.version, "at": to_iso(c.at), "actor": c.actor, "source": c.source,
                         "comment": c.comment, "years": c.years, "days": c.days} for c in uow.calendar.changes()]}
