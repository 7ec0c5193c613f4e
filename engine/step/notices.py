"""The step's notices: each task the step made ready tells its holder (the BPMN's named assignee)
or its groups' members, in the step's own transaction (engine/notify/outbox.py). The step's events
are the source: a ``task_ready`` event is a new task, an escalation task's is an escalation."""
from __future__ import annotations

from datetime import datetime

from engine.notify import outbox
from engine.step.context import StepContext
from storage.models import Instance
from storage.step_rows import TaskRow
from storage.uow import UnitOfWork


def tell(ctx: StepContext) -> None:
    ready = {row.id: row for row in ctx.ready}
    for event in list(ctx.written):
        if event.type != "task_ready":
            continue
        row = ready.get(event.task_id or "")
        if row is None:
            continue
        groups = [g for g in row.candidate_groups.split(",") if g]
        if row.assignee:
            kind, users = "assigned", [row.assignee]
        else:
            kind = "escalated" if outbox.is_escalation(row.name) else "new_task"
            users = [u for u in outbox.members(ctx.uow, groups) if u != ctx.actor.name]
        label = outbox.KINDS[kind]
        outbox.write(ctx.uow, kind=kind, key=f"task_ready:{row.id}", users=users, groups=groups,
                     title=f"{label}：{row.title}",
                     body=outbox.describe(ctx.instance.definition.name or ctx.instance.process_id, ctx.instance.id,
                                          row.room, row.due_at),
                     now=ctx.now, instance_id=ctx.instance.id, task_id=row.id)


def tell_assigned(uow: UnitOfWork, instance: Instance, row: TaskRow, user: str, now: datetime) -> None:
    """A supervisor handed ``row`` to ``user`` (engine/usecases/tasks.py): one notice per assignment."""
    outbox.write(uow, kind="assigned", key=f"assigned:{row.id}:{int(now.timestamp())}", users=[user], groups=[],
                 title=f"{outbox.KINDS['assigned']}：{row.title}",
                 body=outbox.describe(instance.definition.name or instance.process_id, instance.id, row.room,
                                      row.due_at),
                 now=now, instance_id=instance.id, task_id=row.id)
