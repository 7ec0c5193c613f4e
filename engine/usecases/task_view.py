"""One task as its page needs it: ``show_task`` (the fields with their current values, what the
actor may do with it, the case-library guide for a complaint), ``submit_task_form`` (a posted form
validated and completed in one transaction) and ``task_done`` (the confirmation page: the task as
completed and the actor's next tasks in that instance).

Nothing here loads a workflow to show a form: the fields come from the definition's metadata, the
current values from the task's projection, the process data from the instance's (see
engine/usecases/instances.py for instances stepped before those projections existed)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.clock import Clock
from engine.errors import NotFound, NotPermitted
from engine.rules.permissions import Actor, may_work_on
from engine.step import runtime
from engine.step.calendar import calendar_for
from engine.step.rule_tables import rule_tables
from engine.usecases.attachments import attachments_of
from engine.usecases.case_access import may_view_case
from engine.usecases.case_view import case_of
from engine.usecases.guides import guide_for_data
from engine.usecases.instances import projected
from engine.usecases.results import instance_summary, task_json
from engine.usecases.runner import reads, writes
from engine.usecases.tasks import complete_task, list_tasks
from storage.models import Task
from storage.uow import UnitOfWork


def _task_row(uow: UnitOfWork, task_id: str) -> Task:
    row = uow.tasks.get(str(task_id))
    if row is None:
        raise NotFound(f"没有此任务 (no task {task_id})")
    return row


@reads
def show_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict[str, Any]:
    row = _task_row(uow, task_id)
    instance = runtime.get_instance(uow, row.instance_id)
    meta = instance.definition.meta
    may_view_case(uow, actor, instance)
    task = task_json(row, meta, calendar_for(uow))
    now = projected(instance, clock, task=row)
    current = now.task_values(row, task["form"]) if row.state == "ready" else {}
    groups = set(task["candidate_groups"])
    ready = row.state == "ready"
    return {"task": task, "instance": instance_summary(instance),
            "values": {f["id"]: current.get(f["id"], f.get("default")) for f in task["form"]},
            "may_complete": ready and _allowed(lambda: may_work_on(actor, assignee=row.assignee, groups=groups)),
            "may_claim": ready and row.assignee is None and bool(actor.working_groups & groups),
            "may_unclaim": ready and row.assignee is not None and (row.assignee == actor.name or actor.is_supervisor),
            "may_assign": ready and actor.is_supervisor,
            "assignable": _assignable(uow, groups) if ready and actor.is_supervisor else [],
            "guide": guide_for_data(now.data, rule_tables(uow).case_library()),
            "case": case_of(uow, actor, instance, now.data), "attachments": attachments_of(uow, instance.id)}


def _assignable(uow: UnitOfWork, groups: set[str]) -> list[dict[str, str]]:
    """Whom a supervisor may hand the task to: the members of its groups (anyone, for a task the
    process names no group for), by name, never typed."""
    return [{"name": n, "display_name": d or n}
            for n, d in uow.users.members(sorted(groups) if groups else None) if n != "system"]


def posted_values(fields: list[dict[str, Any]], posted: Mapping[str, str]) -> dict[str, str]:
    """What a posted HTML form submits, where every value is text: only declared, writable fields,
    and an empty non-text input is left out so the field's default applies (``required`` is judged
    by the validation, which names the field)."""
    out: dict[str, str] = {}
    for f in fields:
        if f.get("readonly") or f["id"] not in posted:
            continue
        value = posted.get(f["id"], "")
        if f["type"] != "string" and not value.strip():
            continue
        out[f["id"]] = value
    return out


@writes
def submit_task_form(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str,
                     posted: Mapping[str, str]) -> dict[str, Any]:
    """A task's posted form, validated and completed (``complete_task``) in this one transaction;
    the fields are read from the definition's metadata, not from the workflow."""
    row = _task_row(uow, task_id)
    definition = uow.definitions.get(uow.instances.definition_ids([row.instance_id])[row.instance_id])
    fields = (definition.meta if definition is not None else {}).get("elements", {}).get(row.name, {}).get("form", [])
    return complete_task(uow, actor=actor, clock=clock, task_id=task_id, data=posted_values(fields, posted))


def workable(actor: Actor, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ready tasks the actor can go on with right away: theirs, or offered to their groups."""
    return [t for t in tasks if t["assignee"] == actor.name
            or (t["assignee"] is None and actor.working_groups & set(t["candidate_groups"]))]


@reads
def task_done(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict[str, Any]:
    """The confirmation after a submission: the task as it is now, and what comes next for the actor."""
    shown = show_task(uow, actor=actor, clock=clock, task_id=task_id)
    following = list_tasks(uow, actor=actor, clock=clock, instance_id=shown["task"]["instance"])
    return {**shown, "following": workable(actor, following)}


def _allowed(check: Callable[[], None]) -> bool:
    try:
        check()
        return True
    except NotPermitted:
        return False
