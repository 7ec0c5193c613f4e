"""fire_due_timers: the sweep that fires every timer due at the clock's time.

Exactly once, however many sweepers run (threads of `wuye serve`, `wuye worker` processes, a
`wuye timers` from cron): each due instance is fired in its own transaction that begins by
*claiming* it — one statement selects the earliest due instance and row-locks it with ``FOR UPDATE
SKIP LOCKED`` (PostgreSQL; on SQLite the writing transaction holds the single write lock). A second
sweeper skips the locked row and claims the next one; once the first commits, the row's
next_timer_at has moved on, so it no longer matches the claim. The same lock and the instance's
version column guard against a person completing the task at the same moment.

A failing instance never blocks the rest: when its step fails (a script, a condition, a timer
expression), nothing of the step is kept, and the same transaction — still holding the row lock —
records an incident instead: ``instances.error``, ``retries`` + 1, an ``incident`` event, and
next_timer_at pushed back by 1, 2, 4 … minutes (at most an hour), so the sweep moves on and retries
later. The first success after incidents writes ``incident_resolved``."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from engine.clock import Clock, to_iso
from engine.rules.permissions import TIMER, Actor
from engine.step import runtime
from engine.usecases.runner import ChangedFirst, Crashed, handle, reads, transactions, writes
from engine.usecases.scheduled_starts import start_scheduled
from storage.models import Instance
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


@transactions
def fire_due_timers(db: Database, *, clock: Clock, limit: int | None = None) -> list[dict[str, Any]]:
    """Fire every timer due at the clock's time (at most ``limit`` instances); returns what fired,
    and any incidents. Each instance needs a transaction of its own. The schedules due (timer start
    events: engine/usecases/scheduled_starts.py) start their instances first."""
    out: list[dict[str, Any]] = start_scheduled(db, clock=clock, limit=limit)   # timer start events first
    if not handle(db, anything_due, actor=TIMER, clock=clock):   # the usual case: one index probe, no write lock
        return out
    handled = 0
    while limit is None or handled < limit:
        result = _fire_next(db, clock)
        if result is None:
            break
        handled += 1
        out.extend(result)
    return out


@reads
def anything_due(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> bool:
    return bool(uow.instances.due_ids(clock.now(), 1))


def backoff(retries: int) -> timedelta:
    """How long to wait before the next attempt after ``retries`` failures in a row."""
    return min(timedelta(minutes=2 ** min(max(retries, 1) - 1, 10)), MAX_BACKOFF)


def _fire_next(db: Database, clock: Clock) -> list[dict[str, Any]] | None:
    """Claim the earliest due instance and fire it; None when no unclaimed instance is due."""
    result: list[dict[str, Any]] | None
    try:
        result = handle(db, fire_next_due, actor=TIMER, clock=clock)
    except ChangedFirst:                        # cannot happen under the row lock; never fire twice
        result = []
    except Crashed as crash:
        result = handle(db, record_crash, actor=TIMER, clock=clock, instance_id=crash.subject,
                        message=crash.message)
    return result


@writes
def fire_next_due(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> list[dict[str, Any]] | None:
    """The earliest due instance, claimed (row-locked, skipping those another sweeper holds) and
    stepped: what fired, or the incident its failure left. None when nothing unclaimed is due."""
    now = clock.now()
    instance = uow.instances.claim_due(now)
    if instance is None:
        return None
    instance_id, open_incident = instance.id, instance.error
    try:
        events = runtime.step(uow, instance, actor, clock, lambda r: None)
    except runtime.ProcessFailed as failure:
        # runtime.step writes nothing before the process has run, so the session is clean:
        # record the incident in this same transaction, under the same row lock.
        return [_incident(uow, instance, now, failure.message)]
    except DBAPIError:
        raise                                   # the database, not the instance: the caller retries
    except Exception as e:
        log.exception("timer step of instance %s failed", instance_id)
        raise Crashed(instance_id, e) from e
    fired = [{"instance": instance_id, "process": instance.process_id, "timer": e.data.get("name"),
              "title": e.data.get("title"), "task": e.task_id, "at": to_iso(e.at)}
             for e in events if e.type == "timer_fired"]
    if instance.next_timer_at is not None and instance.next_timer_at < now:
        # a timer the column says is due did not fire: keep what happened, but back off instead of
        # claiming the same instance again and again
        return [*fired, _incident(uow, instance, now, "计时器到期但未触发 (a timer was due but did "
                                  f"not fire: due {to_iso(instance.next_timer_at)})")]
    if open_incident:
        uow.events.append(type="incident_resolved", actor=actor.name, at=now, instance_id=instance_id,
                          data={"error": open_incident, "retries": instance.retries})
    instance.retries = 0
    return fired


def _incident(uow: UnitOfWork, instance: Instance, now: datetime, message: str) -> dict[str, Any]:
    """Keep the process state as it was; record the failure; retry later with exponential backoff."""
    instance.retries = (instance.retries or 0) + 1
    retry_at = now + backoff(instance.retries)
    instance.error = message
    instance.next_timer_at = retry_at
    instance.updated_at = now
    uow.events.append(type="incident", actor=TIMER.name, at=now, instance_id=instance.id,
                      data={"error": message, "retries": instance.retries, "retry_at": to_iso(retry_at)})
    uow.flush()
    log.warning("incident on instance %s (attempt %s, retry at %s): %s", instance.id, instance.retries,
                to_iso(retry_at), message)
    return {"instance": instance.id, "incident": message, "retries": instance.retries, "retry_at": to_iso(retry_at)}


@writes
def record_crash(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int,
                 message: str) -> list[dict[str, Any]]:
    """The incident of a step that crashed, unless another sweeper has taken or fired the instance
    meanwhile."""
    now = clock.now()
    instance = uow.instances.get(instance_id, for_update=True, skip_locked=True)
    if instance is None or instance.next_timer_at is None or instance.next_timer_at >= now:
        return []
    return [_incident(uow, instance, now, message)]
