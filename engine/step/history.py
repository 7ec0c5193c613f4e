"""The step's events of what happened: the task the actor completed, the timers that fired (each
charged by its deadline rule) and the messages caught."""
from __future__ import annotations

from engine.step import deadlines
from engine.step.context import StepContext


def record_completion(ctx: StepContext) -> None:
    """``task_completed`` with the submitted data, for the task the actor completed."""
    change = ctx.finished_user_tasks().get(ctx.acted_task or "")
    if change is None or change.new != "COMPLETED":
        return
    ctx.emit("task_completed", change.task_id, name=change.element_id, data=ctx.submitted or {})
    ctx.acted_row = ctx.open_rows.get(change.task_id)


def record_caught(ctx: StepContext) -> None:
    """``timer_fired`` (and the deadline's violation) per firing, or per catch-up of a cycle timer
    several periods behind (with their ``count``); ``message_received`` per message.

    A timer completes only by firing; one already overdue when reached is created and fired in the
    same step (old None or predicted), and that is a breach like any other."""
    for c in ctx.changes:
        if c.kind == "timer" and (c.new == "FIRED" or (c.new == "COMPLETED" and c.old != "COMPLETED")):
            el = ctx.elements.get(c.element_id or "", {})
            more = {"count": c.count} if c.count > 1 else {}      # a cycle timer that caught up: one event
            ctx.emit("timer_fired", c.task_id, name=c.element_id, title=el.get("name", c.element_id), **more)
            deadlines.charge(ctx, c, el)
        elif c.kind == "message" and c.new == "COMPLETED" and c.old in ("WAITING", "READY"):
            ctx.emit("message_received", c.task_id, name=c.element_id)
