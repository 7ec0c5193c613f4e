"""The last stage of a step: the instance's row — status (and its event), the stored state, the
next timer, the read projections — written at once."""
from __future__ import annotations

from engine.spiff import SERIALIZER_VERSION
from engine.step import projection
from engine.step.context import StepContext
from engine.step.search import index_instance

# Signalled on commit when a step moves an instance's next timer earlier (cli/timer_loop.py listens).
TIMERS_CHANNEL = "wuye_timers"


def save(ctx: StepContext) -> None:
    instance, run = ctx.instance, ctx.run
    status = run.status
    ended_at = instance.ended_at
    if status != instance.status:
        if status in ("completed", "cancelled"):
            ended_at = ctx.now
        ctx.emit(f"instance_{status}", None, **({"errors": run.errors()} if status == "error" else {}))
    data = run.data
    next_timer_at = min((t.due for t in ctx.timers), default=None) if status == "running" else None
    previous_due = instance.next_timer_at
    room = instance.room or (str(data["room"])[:64] if data.get("room") else None)
    ctx.uow.step_rows.save_instance(instance, {
        "status": status, "state": run.dump(), "serializer_version": SERIALIZER_VERSION,
        "next_timer_at": next_timer_at, "updated_at": ctx.now, "ended_at": ended_at, "error": None, "room": room,
        "data": projection.jsonable(data), "waiting": projection.waiting_of(run, ctx.elements),
        "diagram": run.element_states()})
    index_instance(ctx.uow, instance, instance.data or {})
    if next_timer_at is not None and (previous_due is None or next_timer_at < previous_due):
        ctx.uow.signal_on_commit(TIMERS_CHANNEL)    # a timer loop may be sleeping past this new due time
