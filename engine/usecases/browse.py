"""The reads the staff pages need around the core use cases: one page's read with its navigation,
the inbox page, which processes a person may start, finding instances, the counts shown in the
navigation, and when the next timer is due (for the timer loop). Each one applies the same
permission checks as the use cases that act, so a page never offers what the engine would refuse."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.clock import Clock
from engine.errors import NotFound, NotPermitted
from engine.rules.groups import GROUPS
from engine.rules.permissions import Actor, may_start, may_view, may_watch_calendar
from engine.usecases.calendar import calendar_coverage
from engine.usecases.case_view import case_cards
from engine.usecases.runner import kind_of, reads
from engine.usecases.search import STATUSES as STATUSES  # re-exported: the pages offer these
from engine.usecases.search import find_instances
from engine.usecases.tasks import task_page
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Page:
    """What one staff page shows, who asked (resolved in the same read) and the counts its
    navigation shows: a page is one transaction, not one for the user, one for the counts and one
    for what it shows."""
    actor: Actor
    shown: Any
    counts: dict[str, int]
    calendar: dict[str, Any] | None = None     # the 60-day calendar check, for those warned of it
    names: dict[str, str] | None = None         # user name -> real name, for 王丽（dispatcher）


@reads
def page(uow: UnitOfWork, *, actor: Actor, clock: Clock, show: Callable[..., Any], **args: Any) -> Page:
    """``show(uow, actor=actor, clock=clock, **args)`` (itself a @reads use case) and the navigation."""
    if kind_of(show) != "reads":
        raise TypeError(f"{show.__qualname__} is not a @reads use case")
    shown = show(uow, actor=actor, clock=clock, **args)
    warned = calendar_coverage(uow, clock) if may_watch_calendar(actor) else None
    return Page(actor, shown, inbox_counts(uow, actor=actor, clock=clock), warned, uow.users.display_names())


@reads
def inbox_page(uow: UnitOfWork, *, actor: Actor, clock: Clock, ask_all: bool = False,
               **filters: Any) -> dict[str, Any]:
    """One page of the inbox (``task_page``), with the lanes its filter offers. Supervisors and
    auditors see every group's tasks when they ask, and an auditor, who works in no group, always."""
    every = (ask_all or not actor.working_groups) and (actor.is_supervisor or actor.is_auditor)
    shown = task_page(uow, actor=actor, clock=clock, every_group=every, **filters)
    return {**shown, "every_group": every, "lanes": sorted(GROUPS if every else actor.working_groups),
            "cases": case_cards(uow, shown["tasks"])}


@reads
def next_timer_due(uow: UnitOfWork, *, clock: Clock) -> datetime | None:
    """The earliest due time of any instance's timer or any scheduled start (two index probes), None
    when none waits."""
    dues = [d for d in (uow.instances.next_timer_at(), uow.schedules.next_due()) if d is not None]
    return min(dues) if dues else None


@reads
def startable_processes(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> list[dict[str, Any]]:
    """The latest version of every process the actor may start, with its start form."""
    out = []
    for d in uow.definitions.latest_all("bpmn"):
        try:
            may_start(actor, d.meta)
        except NotPermitted:
            continue
        out.append({"process": d.key, "name": d.meta.get("name") or d.name or d.key, "version": d.version,
                    "start_form": d.meta.get("start_form", []), "start_groups": d.meta.get("start_groups", [])})
    return out


@reads
def search_instances(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str | None = None,
                     **filters: Any) -> list[dict[str, Any]]:
    """Newest first; instances of processes the actor may not view are left out, not refused
    (engine/usecases/search.py: ``q``, ``room``, ``status``, ``started_from``/``started_to``, ``overdue``)."""
    return find_instances(uow, actor, clock, process=process_id, **filters)


@reads
def instances_page(uow: UnitOfWork, *, actor: Actor, clock: Clock, **filters: Any) -> dict[str, Any]:
    """The instance search page in one read: what was found, and the processes its filter offers by
    name (those the actor may view)."""
    processes = []
    for d in uow.definitions.latest_all("bpmn"):
        try:
            may_view(actor, d.meta)
        except NotPermitted:
            continue
        processes.append({"process": d.key, "name": d.meta.get("name") or d.name or d.key})
    return {"instances": search_instances(uow, actor=actor, clock=clock, **filters), "processes": processes}


@reads
def inbox_counts(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, int]:
    """How many ready tasks are in the actor's inbox, how many are overdue, how many are theirs;
    and how many of their notifications are unread."""
    counts = uow.tasks.inbox_counts(user=actor.name, groups=actor.working_groups, now=clock.now())
    counts["notices"] = uow.notifications.unread(actor.name)
    return counts


@reads
def start_form(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str) -> dict[str, Any]:
    """One process's start page: NotFound when there is no such process, NotPermitted when the
    actor may not start it."""
    d = uow.definitions.latest("bpmn", process_id)
    if d is None:
        raise NotFound(f"没有此流程 (no process {process_id!r})")
    may_start(actor, d.meta)
    start: dict[str, Any] = next((el for el in d.meta.get("elements", {}).values()
                  if el.get("type") == "startEvent" and el.get("form") == d.meta.get("start_form")), {})
    return {"process": d.key, "name": d.meta.get("name") or d.key, "version": d.version,
            "start_form": d.meta.get("start_form", []), "documentation": start.get("documentation", ""),
            # the room look-up only once the register holds rooms: with none, there is nothing to
            # find, and every room is accepted (engine/usecases/start_instance.py)
            "register": (d.meta.get("register") if uow.register.count() else None) or {"room": None, "fill": {}}}
