"""The step stage for external tasks (service and send tasks a worker outside wuye does): their
rows in the queue workers fetch from (storage/external_tasks.py), opened when SpiffWorkflow makes
such a task ready, closed when it completes or is cancelled, each with its event."""
from __future__ import annotations

from engine.step.context import StepContext
from engine.step.projection import jsonable
from storage.models import ExternalTask

__all__ = ["EXTERNAL_CHANNEL", "sync"]

EXTERNAL_CHANNEL = "wuye_external_tasks"        # signalled on commit when a step opens external tasks


def sync(ctx: StepContext) -> None:
    if not any("topic" in el for el in ctx.elements.values()):
        return                                  # most processes have none: no query for them
    ready = {v.id: v for v in ctx.run.ready_user_tasks() if ctx.is_external(v.name)}
    finished = {c.task_id: c.new for c in ctx.changes if ctx.is_external(c.element_id) and c.old == "READY"}
    rows = ctx.uow.external_tasks.open_for(ctx.instance.id)
    gone = [r for r in rows if r.id not in ready]
    for state in ("completed", "cancelled"):
        ids = [r.id for r in gone if (finished.get(r.id) == "COMPLETED") == (state == "completed")]
        ctx.uow.external_tasks.close(ids, state, ctx.now, ctx.actor.name if state == "completed" else None)
        for r in gone:
            if r.id in ids:
                extra = {"data": ctx.submitted or {}} if r.id == ctx.acted_task else {}
                ctx.emit(f"external_task_{state}", r.id, name=r.activity_id, topic=r.topic, **extra)
    known = {r.id for r in rows}
    new = []
    for task_id, view in ready.items():
        if task_id in known:
            continue
        topic = str(ctx.elements[view.name]["topic"])
        new.append(ExternalTask(id=task_id, instance_id=ctx.instance.id, process_id=ctx.instance.process_id,
                                activity_id=view.name, topic=topic, state="open", priority=0,
                                variables=jsonable(dict(view.data)), created_at=ctx.now))
        ctx.emit("external_task_created", task_id, name=view.name, topic=topic)
    ctx.uow.external_tasks.add(new)
    if new:
        ctx.uow.signal_on_commit(EXTERNAL_CHANNEL)      # a worker may be long-polling for them
