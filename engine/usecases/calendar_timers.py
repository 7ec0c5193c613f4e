"""After the calendar changed: the waiting date timers whose due time it moves, and moving them.

A change of the calendar never moves a deadline by itself: a waiting timer keeps the due time it
was given (the owner was told it). A supervisor sees how many would move (``timers_to_recompute``:
each waiting date timer's expression evaluated again with today's calendar, nothing written) and
recomputes them as one audited action (``recompute_timers``: one transaction; a
``timer_recomputed`` event per instance and a ``timers_recomputed`` summary in the chain).
Duration and cycle timers count from when they began, so they are left as they are."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import NotPermitted
from engine.rules.permissions import Actor
from engine.spiff import Run, clock_context
from engine.step import runtime
from engine.step.calendar import calendar_for
from engine.usecases.runner import reads, writes
from storage.uow import UnitOfWork

__all__ = ["recompute_timers", "timers_to_recompute"]


def _may_recompute(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise NotPermitted(f"{actor.name} 不是主管，不能重新计算期限 (only supervisors recompute deadlines)")


def _moves(instance_id: int, run: Run, moved: list[tuple[str, datetime, datetime]]) -> list[dict[str, Any]]:
    guards = {t.task_id: t for t in run.waiting_timers()}
    return [{"instance": instance_id, "timer": guards[tid].element_id if tid in guards else tid,
             "from": to_iso(old), "to": to_iso(new)} for tid, old, new in moved]


@reads
def timers_to_recompute(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The waiting date timers today's calendar would give another due time (nothing is written)."""
    _may_recompute(actor)
    calendar, moves = calendar_for(uow), []
    for instance_id in uow.calendar.instances_with_timers():
        instance = runtime.get_instance(uow, instance_id)
        run = runtime.load_run(instance, clock, calendar)
        with clock_context(clock):
            moves.extend(_moves(instance.id, run, run.recompute_date_timers()))
    return {"calendar_version": uow.calendar.version(), "timers": len(moves),
            "instances": len({m["instance"] for m in moves}), "moves": moves}


@writes
def recompute_timers(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """Give every waiting date timer the due time today's calendar computes, in one transaction."""
    _may_recompute(actor)
    moves: list[dict[str, Any]] = []
    version = uow.calendar.version()
    for instance_id in uow.calendar.instances_with_timers():
        instance = runtime.get_instance(uow, instance_id, for_update=True)
        runtime.refuse_going_back(uow, instance, clock)
        found: list[dict[str, Any]] = []
        dues: dict[str, datetime] = {}

        def recompute(run: Run, instance_id: int = instance.id, found: list[dict[str, Any]] = found,
                      dues: dict[str, datetime] = dues) -> None:
            found.extend(_moves(instance_id, run, run.recompute_date_timers()))
            for timer in run.waiting_timers():
                if timer.guarded_task_id is not None:
                    held = dues.get(timer.guarded_task_id)
                    dues[timer.guarded_task_id] = timer.due if held is None else min(held, timer.due)

        runtime.step(uow, instance, actor, clock, recompute)
        if found:
            _reset_due(uow, instance.id, dues)
            uow.events.append(type="timer_recomputed", actor=actor.name, at=clock.now(), instance_id=instance.id,
                              data={"calendar_version": version, "moved": found})
            moves.extend(found)
    uow.events.append(type="timers_recomputed", actor=actor.name, at=clock.now(),
                      data={"calendar_version": version, "timers": len(moves),
                            "instances": sorted({m["instance"] for m in moves})})
    return {"calendar_version": version, "timers": len(moves), "instances": len({m["instance"] for m in moves}),
            "moves": moves}


def _reset_due(uow: UnitOfWork, instance_id: int, dues: dict[str, datetime]) -> None:
    """The ready tasks' deadlines as their timers now say (the step's projection only ever moves a
    deadline earlier; a recomputed one may move later)."""
    for row in uow.tasks.for_instance(instance_id, ["ready"]):
        if row.id in dues:
            row.due_at = dues[row.id]
