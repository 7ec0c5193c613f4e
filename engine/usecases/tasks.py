"""The task use cases: list the inbox, claim / unclaim / assign, complete."""
from __future__ import annotations

from engine import runtime
from engine.bpmn import TaskNotReady
from engine.clock import Clock
from engine.errors import BadInput, Conflict, NotFound, NotPermitted
from engine.forms import FormField, validate_submission
from engine.permissions import Actor, may_assign, may_see_all_tasks, may_work_on
from engine.views import task_json
from storage.models import Task
from storage.uow import UnitOfWork


def list_tasks(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int | None = None,
               every_group: bool = False, process_id: str | None = None, lane: str | None = None,
               overdue: bool = False, room: str | None = None, limit: int = 500) -> list[dict]:
    if every_group:
        may_see_all_tasks(actor)
    rows = uow.tasks.inbox(user=actor.name, groups=actor.working_groups, every_group=every_group,
                           instance_id=instance_id, process_id=process_id, lane=lane, room=room,
                           overdue_at=clock.now() if overdue else None, limit=limit)
    # the few definitions' metadata, not each instance row (its state and a decoded meta per instance)
    definition_of = uow.instances.definition_ids(row.instance_id for row in rows)
    metas: dict[int, dict] = {}
    out = []
    for row in rows:
        definition_id = definition_of[row.instance_id]
        if definition_id not in metas:
            metas[definition_id] = uow.definitions.get(definition_id).meta
        out.append(task_json(row, metas[definition_id]))
    return out


def _locked_ready_task(uow: UnitOfWork, task_id: str) -> tuple[Task, object]:
    """The task's row and its instance, the instance row locked; Conflict if it is no longer ready.
    The lock comes first and the task is read under it: the lock may have waited for someone else's
    commit, and the row must be the one they left."""
    instance = uow.instances.locked_for_task(str(task_id))
    row = uow.tasks.get(str(task_id), fresh=True) if instance is not None else None
    if row is None:
        raise NotFound(f"没有此任务 (no task {task_id})")
    if row.state != "ready":
        who = f"，由 {row.completed_by} 完成" if row.completed_by else ""
        raise Conflict(f"任务已不在待办状态{who} (the task is already {row.state})")
    return row, instance


def _groups(row: Task) -> list[str]:
    return [g for g in row.candidate_groups.split(",") if g]


def complete_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, data: dict | None) -> dict:
    row, instance = _locked_ready_task(uow, task_id)
    may_work_on(actor, assignee=row.assignee, groups=_groups(row))
    meta = instance.definition.meta
    fields = [FormField.from_json(f) for f in meta["elements"].get(row.name, {}).get("form", [])]
    run = runtime.load_run(instance, clock)
    values = validate_submission(fields, data, current=run.task_data(row.id), now=clock.now())
    try:
        runtime.step(uow, instance, actor, clock, lambda r: r.complete(row.id, values), run=run,
                     acted_task=row.id, submitted=values)
    except TaskNotReady:
        raise Conflict("任务已不在待办状态 (the task is no longer ready)") from None
    ready = [task_json(t, meta) for t in uow.tasks.for_instance(instance.id, states=["ready"])]
    return {"instance": instance.id, "task": row.id, "status": instance.status, "ready": ready}


def claim_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict:
    row, instance = _locked_ready_task(uow, task_id)
    if row.assignee == actor.name:
        return task_json(row, instance.definition.meta)
    if row.assignee is not None:
        raise Conflict(f"任务已被 {row.assignee} 认领 (already claimed by {row.assignee})")
    may_work_on(actor, assignee=None, groups=_groups(row))
    return _set_assignee(uow, actor, clock, row, instance, actor.name, "task_claimed")


def unclaim_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict:
    row, instance = _locked_ready_task(uow, task_id)
    if row.assignee is None:
        return task_json(row, instance.definition.meta)
    if row.assignee != actor.name and not actor.is_supervisor:
        raise NotPermitted(f"任务由 {row.assignee} 认领，只有本人或主管可以退回 (only the assignee or a supervisor)")
    return _set_assignee(uow, actor, clock, row, instance, None, "task_unclaimed")


def assign_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, assignee: str) -> dict:
    may_assign(actor)
    row, instance = _locked_ready_task(uow, task_id)
    target = runtime.actor_for(uow, assignee) if assignee else None
    if target is not None and not (target.working_groups & set(_groups(row))):
        raise BadInput(f"{assignee} 不在此任务的处理组中 (not in the task's groups)",
                       fields={"assignee": {"key": "task.assignee_group"}})
    return _set_assignee(uow, actor, clock, row, instance, assignee or None, "task_assigned")


def _set_assignee(uow, actor, clock, row, instance, user, event_type) -> dict:
    runtime.step(uow, instance, actor, clock, lambda r: r.set_assignee(row.id, user))
    uow.events.append(type=event_type, actor=actor.name, at=clock.now(), instance_id=instance.id,
                      task_id=row.id, data={"name": row.name, "assignee": user})
    return task_json(row, instance.definition.meta)
