"""The reads the staff pages need around the core use cases: which processes a person may start,
finding instances, and the counts shown in the navigation. Each one applies the same permission
checks as the use cases that act, so a page never offers what the engine would refuse."""
from __future__ import annotations

from engine.clock import Clock
from engine.errors import NotFound, NotPermitted
from engine.rules.permissions import Actor, may_start, may_view
from engine.usecases.results import instance_summary
from storage.uow import UnitOfWork
from engine.usecases.runner import reads

STATUSES = ("running", "completed", "cancelled", "error")


@reads
def startable_processes(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> list[dict]:
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
                     status: str | None = None, room: str | None = None, limit: int = 50) -> list[dict]:
    """Newest first; instances of processes the actor may not view are left out, not refused."""
    if status and status not in STATUSES:
        status = None
    rows = uow.instances.search(process_id=process_id or None, status=status, room=(room or "").strip() or None,
                                limit=limit * 4)
    out, allowed = [], {}
    for inst in rows:
        key = inst.definition_id
        if key not in allowed:
            try:
                may_view(actor, inst.definition.meta)
                allowed[key] = True
            except NotPermitted:
                allowed[key] = False
        if allowed[key]:
            out.append(instance_summary(inst))
        if len(out) >= limit:
            break
    return out


@reads
def inbox_counts(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict:
    """How many ready tasks are in the actor's inbox, how many are overdue, how many are theirs."""
    return uow.tasks.inbox_counts(user=actor.name, groups=actor.working_groups, now=clock.now())


@reads
def start_form(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str) -> dict:
    """One process's start page: NotFound when there is no such process, NotPermitted when the
    actor may not start it."""
    d = uow.definitions.latest("bpmn", process_id)
    if d is None:
        raise NotFound(f"没有此流程 (no process {process_id!r})")
    may_start(actor, d.meta)
    start = next((el for el in d.meta.get("elements", {}).values()
                  if el.get("type") == "startEvent" and el.get("form") == d.meta.get("start_form")), {})
    return {"process": d.key, "name": d.meta.get("name") or d.key, "version": d.version,
            "start_form": d.meta.get("start_form", []), "documentation": start.get("documentation", "")}
