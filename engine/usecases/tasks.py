"""The task use cases: list the inbox, claim / unclaim / assign, complete."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from engine.clock import Clock, parse_instant
from engine.errors import BadInput, Conflict, NotFound, NotPermitted
from engine.rules.fields import FormField, validate_submission
from engine.rules.permissions import Actor, may_assign, may_see_all_tasks, may_work_on
from engine.step import notices, runtime
from engine.step.calendar import calendar_for
from engine.usecases.results import task_json
from engine.usecases.runner import actor_for, reads, writes
from storage.models import Instance, Task
from storage.repositories import InboxKey
from storage.step_rows import TaskRow
from storage.uow import UnitOfWork


@reads
def list_tasks(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int | None = None,
               every_group: bool = False, process_id: str | None = None, lane: str | None = None,
               overdue: bool = False, room: str | None = None, limit: int = 500,
               unassigned: bool = False) -> list[dict[str, Any]]:
    """The first ``limit`` tasks of the inbox, most urgent first (``wuye tasks``; a task's page);
    ``unassigned``: the queue of tasks nobody is named for, which supervisors assign from."""
    rows = _inbox_rows(uow, actor, clock, {"instance_id": instance_id, "every_group": every_group,
                                           "process_id": process_id, "lane": lane, "overdue": overdue,
                                           "room": room, "unassigned": unassigned},
                       limit=limit, after=None)
    return _as_json(uow, rows)


MAX_PAGE = 500


class BadCursor(BadInput):
    """An ``after`` or ``limit`` that no page of ours hands out: a malformed request (400), not data."""
    http_status = 400


@reads
def task_page(uow: UnitOfWork, *, actor: Actor, clock: Clock, limit: int = 100, after: str | None = None,
              instance_id: int | None = None, every_group: bool = False, process_id: str | None = None,
              lane: str | None = None, overdue: bool = False, room: str | None = None,
              unassigned: bool = False) -> dict[str, Any]:
    """One page of the inbox: ``{"tasks": [...], "next": cursor of the next page, or None on the last}``.

    ``after`` is the opaque ``next`` of the previous page: the inbox order key of its last row, not
    an offset, so a task completed or added meanwhile before it shifts nothing (no row skipped or
    shown twice). One row more than ``limit`` is read to know whether a next page exists."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadCursor(f"limit 必须在 1 到 {MAX_PAGE} 之间 (limit must be 1..{MAX_PAGE})",
                        fields={"limit": {"key": "page.limit", "message": f"每页 1 到 {MAX_PAGE} 条",
                                          "en": f"between 1 and {MAX_PAGE}"}})
    rows = _inbox_rows(uow, actor, clock, {"instance_id": instance_id, "every_group": every_group,
                                           "process_id": process_id, "lane": lane, "overdue": overdue,
                                           "room": room, "unassigned": unassigned},
                       limit=limit + 1, after=decode_cursor(after) if after else None)
    page = rows[:limit]
    return {"tasks": _as_json(uow, page), "next": encode_cursor(page[-1]) if len(rows) > limit else None}


def encode_cursor(row: Task) -> str:
    """The row's place in the inbox order, as URL-safe text (UTC, to the microsecond: ties are exact)."""
    key = [row.due_at.astimezone(UTC).isoformat() if row.due_at else None,
           row.created_at.astimezone(UTC).isoformat(), row.id]
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> InboxKey:
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        due, created, task_id = key
        if not (isinstance(created, str) and isinstance(task_id, str) and 0 < len(task_id) <= 36
                and (due is None or isinstance(due, str))):
            raise ValueError(key)
        due_at = _aware(due) if due is not None else None
        return InboxKey(due_at, _aware(created), task_id)
    except (ValueError, TypeError, UnicodeError, RecursionError):
        raise BadCursor("after 不是有效的分页游标 (after is not a cursor this server handed out)",
                        fields={"after": {"key": "page.cursor", "message": "分页游标无效，请从第一页重新开始",
                                          "en": "invalid cursor: start again from the first page"}}) from None


def _aware(text: str) -> datetime:
    """A cursor's instant: with an offset, within the years any instant may have (parse_instant)."""
    if datetime.fromisoformat(text).tzinfo is None:
        raise ValueError(text)
    return parse_instant(text)


def _inbox_rows(uow: UnitOfWork, actor: Actor, clock: Clock, filters: dict[str, Any], *, limit: int,
                after: InboxKey | None) -> list[Task]:
    unassigned = bool(filters.get("unassigned"))
    if filters["every_group"] or unassigned:
        may_see_all_tasks(actor)
    return uow.tasks.inbox(user=actor.name, groups=actor.working_groups,
                           every_group=filters["every_group"] or unassigned, unassigned=unassigned,
                           instance_id=filters["instance_id"], process_id=filters["process_id"],
                           lane=filters["lane"], room=filters["room"],
                           overdue_at=clock.now() if filters["overdue"] else None, limit=limit, after=after)


def _as_json(uow: UnitOfWork, rows: list[Task]) -> list[dict[str, Any]]:
    # the few definitions' metadata, not each instance row (its state and a decoded meta per instance)
    definition_of = uow.instances.definition_ids(row.instance_id for row in rows)
    metas: dict[int, dict[str, Any]] = {}
    out = []
    calendar = calendar_for(uow)
    for row in rows:
        definition_id = definition_of[row.instance_id]
        if definition_id not in metas:
            definition = uow.definitions.get(definition_id)
            assert definition is not None     # an instance's definition is never deleted (foreign key)
            metas[definition_id] = definition.meta
        out.append(task_json(row, metas[definition_id], calendar))
    return out


def _locked_ready_task(uow: UnitOfWork, task_id: str) -> tuple[TaskRow, Instance, list[TaskRow]]:
    """The task's row, its instance (row-locked) and the instance's ready rows (the step's starting
    point, read once); Conflict if the task is no longer ready. The lock comes first and the rows
    are read under it: the lock may have waited for someone else's commit, and the rows must be the
    ones they left."""
    locked = uow.instances.lock_for_task(str(task_id))
    if locked is None:
        raise NotFound(f"没有此任务 (no task {task_id})")
    instance = runtime.locked_instance(uow, *locked)
    ready = uow.step_rows.open_tasks(instance.id)
    row = next((r for r in ready if r.id == str(task_id)), None)
    if row is None:
        done = uow.tasks.get(str(task_id), fresh=True)
        if done is None:
            raise NotFound(f"没有此任务 (no task {task_id})")
        who = f"，由 {done.completed_by} 完成" if done.completed_by else ""
        raise Conflict(f"任务已不在待办状态{who} (the task is already {done.state})")
    return row, instance, ready


def _groups(row: Task | TaskRow) -> list[str]:
    return [g for g in row.candidate_groups.split(",") if g]


@writes
def complete_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str,
                  data: dict[str, Any] | None) -> dict[str, Any]:
    row, instance, ready_rows = _locked_ready_task(uow, task_id)
    may_work_on(actor, assignee=row.assignee, groups=_groups(row))
    meta = instance.definition.meta
    fields = [FormField.from_json(f) for f in meta["elements"].get(row.name, {}).get("form", [])]
    case = (instance.data or {}) if any(f.after or f.required_if for f in fields) else None
    values = validate_submission(fields, data, current=row.values or {}, now=clock.now(), case=case)
    result = runtime.step(uow, instance, actor, clock, lambda r: r.complete(row.id, values),
                          acted_task=row.id, submitted=values, open_rows=ready_rows)
    calendar = calendar_for(uow)
    ready = [task_json(t, meta, calendar) for t in result.ready]
    return {"instance": instance.id, "task": task_id, "status": instance.status, "ready": ready}


@writes
def claim_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict[str, Any]:
    row, instance, _ = _locked_ready_task(uow, task_id)
    if row.assignee == actor.name:
        return task_json(row, instance.definition.meta, calendar_for(uow))
    if row.assignee is not None:
        raise Conflict(f"任务已被 {row.assignee} 认领 (already claimed by {row.assignee})")
    may_work_on(actor, assignee=None, groups=_groups(row))
    return _set_assignee(uow, actor, clock, row, instance, actor.name, "task_claimed")


@writes
def unclaim_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict[str, Any]:
    row, instance, _ = _locked_ready_task(uow, task_id)
    if row.assignee is None:
        return task_json(row, instance.definition.meta, calendar_for(uow))
    if row.assignee != actor.name and not actor.is_supervisor:
        raise NotPermitted(f"任务由 {row.assignee} 认领，只有本人或主管可以退回 (only the assignee or a supervisor)")
    return _set_assignee(uow, actor, clock, row, instance, None, "task_unclaimed")


@writes
def assign_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, assignee: str) -> dict[str, Any]:
    may_assign(actor)
    row, instance, _ = _locked_ready_task(uow, task_id)
    try:
        target = actor_for(uow, assignee) if assignee else None
    except NotPermitted:
        raise BadInput(f"没有此用户或已停用：{assignee}，请从处理组成员中选择 (no such active user)",
                       fields={"assignee": {"key": "task.assignee_unknown",
                                            "message": "没有此用户或已停用，请从处理组成员中选择"}}) from None
    # a task nobody is named for (the unassigned queue) may go to anyone the supervisor chooses
    if target is not None and _groups(row) and not (target.working_groups & set(_groups(row))):
        raise BadInput(f"{assignee} 不在此任务的处理组中，请从处理组成员中选择 (not in the task's groups)",
                       fields={"assignee": {"key": "task.assignee_group",
                                            "message": "不在此任务的处理组中，请从处理组成员中选择"}})
    return _set_assignee(uow, actor, clock, row, instance, assignee or None, "task_assigned")


def _set_assignee(uow: UnitOfWork, actor: Actor, clock: Clock, row: TaskRow, instance: Instance, user: str | None,
                  event_type: str) -> dict[str, Any]:
    """Who holds a task is the task row's (the projection's): a claim changes the row and writes its
    event, without loading the workflow. Only when a timer of the instance is already due does the
    workflow step first, so that a deadline that passed is recorded (and a task an interrupting
    deadline took away is not handed out)."""
    runtime.refuse_going_back(uow, instance, clock)
    if runtime.timers_due(instance, clock):
        runtime.step(uow, instance, actor, clock, lambda r: None)
        row, instance, _ = _locked_ready_task(uow, row.id)
    uow.step_rows.assign(row, user)
    uow.events.append(type=event_type, actor=actor.name, at=clock.now(), instance_id=instance.id,
                      task_id=row.id, data={"name": row.name, "assignee": user})
    if event_type == "task_assigned" and user and user != actor.name:
        notices.tell_assigned(uow, instance, row, user, clock.now())
    return task_json(row, instance.definition.meta, calendar_for(uow))
