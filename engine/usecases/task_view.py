"""show_task: one task with what its form page needs — the fields with their current values, what
the actor may do with it, and the case-library guide for a complaint. Read-only."""
from __future__ import annotations

from engine.step import runtime
from engine.clock import Clock
from engine.errors import NotFound, NotPermitted
from engine.rules.permissions import Actor, may_view, may_work_on
from engine.usecases.guides import guide_for_data
from engine.usecases.instances import _jsonable
from engine.usecases.results import instance_summary, task_json
from storage.uow import UnitOfWork
from engine.usecases.runner import reads


@reads
def show_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict:
    row = uow.tasks.get(str(task_id))
    if row is None:
        raise NotFound(f"没有此任务 (no task {task_id})")
    instance = runtime.get_instance(uow, row.instance_id)
    meta = instance.definition.meta
    may_view(actor, meta)
    task = task_json(row, meta)
    run = runtime.load_run(instance, clock)
    data = _jsonable(run.data)
    current = _jsonable(run.task_data(row.id)) if row.state == "ready" else {}
    groups = set(task["candidate_groups"])
    ready = row.state == "ready"
    return {"task": task, "instance": instance_summary(instance),
            "values": {f["id"]: current.get(f["id"], f.get("default")) for f in task["form"]},
            "may_complete": ready and _allowed(lambda: may_work_on(actor, assignee=row.assignee, groups=groups)),
            "may_claim": ready and row.assignee is None and bool(actor.working_groups & groups),
            "may_unclaim": ready and row.assignee is not None and (row.assignee == actor.name or actor.is_supervisor),
            "may_assign": ready and actor.is_supervisor,
            "guide": guide_for_data(data)}


def _allowed(check) -> bool:
    try:
        check()
        return True
    except NotPermitted:
        return False
