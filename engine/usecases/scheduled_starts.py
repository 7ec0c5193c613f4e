"""Scheduled starts: the timer loop starts one new instance per due moment of a process's timer
start event (its schedule: engine/rules/schedule.py, read at deploy by engine/deploy/schedule.py).

**Exactly once**, however many sweepers run: a schedule is one row (``process_schedules``, held by
the version in force), claimed with ``FOR UPDATE SKIP LOCKED`` in a transaction of its own, and each
moment started is a row of ``scheduled_starts``, unique per process and moment, written in the same
transaction as the instance. A second sweeper skips the locked row; once the first commits, the
row's ``next_at`` has moved on past the moments it started.

**Catching up** after downtime, as the process's ``catchUp`` property says: ``each`` (default) starts
one instance per missed moment, oldest first, at most ``BATCH`` per transaction (the row is claimed
again for the rest) and at most ``MAX_CATCH_UP`` in all (older moments are counted as skipped);
``one`` starts one instance, for the newest moment, and counts the others as skipped. Either way the
time is bounded: the moments are computed from the anchor, never stepped through one by one beyond
the ``MAX_CATCH_UP`` newest.

Each instance gets ``scheduled_for`` (the moment, ISO) in its start data and starts at the clock's
time; each start is a ``scheduled_start`` audit event (process, version, moment, instance, skipped).
A start that fails (a script of the process) keeps the moment pending and retries after
``RETRY``, recorded as ``scheduled_start_failed``."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from engine.clock import Clock, to_iso
from engine.rules.calendar import BusinessCalendar
from engine.rules.permissions import TIMER, Actor
from engine.rules.schedule import Schedule, parse_schedule
from engine.step.calendar import calendar_for
from engine.step.runtime import TIMERS_CHANNEL
from engine.usecases.runner import Crashed, handle, reads, transactions, writes
from engine.usecases.start_instance import begin_instance
from storage.models import Definition, ProcessSchedule, ScheduledStart
from storage.uow import Database, UnitOfWork

__all__ = ["BATCH", "MAX_CATCH_UP", "adopt_schedule", "list_schedules", "next_start", "schedule_of",
           "start_for_moment", "start_scheduled"]

log = logging.getLogger(__name__)

BATCH = 10                   # instances one transaction starts for one schedule
MAX_CATCH_UP = 100           # moments one catch-up starts at most (each); older ones are skipped
RETRY = timedelta(minutes=5)
_EPSILON = timedelta(microseconds=1)


def schedule_of(row: ProcessSchedule) -> Schedule:
    return parse_schedule(row.kind, row.text)


def next_start(row: ProcessSchedule | None) -> str | None:
    """The next start a process owner sees (ISO), None when not scheduled or run out."""
    return to_iso(row.next_at) if row is not None and row.next_at is not None else None


def adopt_schedule(uow: UnitOfWork, definition: Definition, now: datetime) -> None:
    """The newly deployed ``definition`` takes over its process's schedule: the moments started by
    the old version stay started, and the next one is the new schedule's first after them (after
    now, when the schedule itself changed: moments of a new rule before its deploy were never due).
    A version without a timer start event ends the schedule."""
    wanted = definition.meta.get("schedule")
    held = uow.schedules.get(definition.key, for_update=True)
    if not wanted:
        if held is not None:
            uow.schedules.remove(definition.key)
        return
    changed = held is None or (held.kind, held.text) != (wanted["kind"], wanted["text"])
    row = held or ProcessSchedule(process_id=definition.key, anchor=now, last_due_at=now)
    if changed:
        row.anchor = now
        row.last_due_at = max(row.last_due_at or now, now)
    row.definition_id, row.element_id = definition.id, wanted["element"]
    row.kind, row.text, row.catch_up = wanted["kind"], wanted["text"], wanted["catch_up"]
    row.next_at = schedule_of(row).next_after(row.last_due_at or now, row.anchor, calendar_for(uow))
    row.updated_at = now
    uow.schedules.put(row)
    uow.signal_on_commit(TIMERS_CHANNEL)           # a timer loop asleep looks at the new next start


@transactions
def start_scheduled(db: Database, *, clock: Clock, limit: int | None = None) -> list[dict[str, Any]]:
    """Start an instance for every due moment of every schedule due at the clock's time (at most
    ``limit`` claims); returns what started and what failed. Each claim is a transaction."""
    with db.uow(readonly=True) as uow:           # nothing due (the usual case): one index probe
        due = uow.schedules.next_due()
        if due is None or due >= clock.now():
            return []
    out: list[dict[str, Any]] = []
    claims = 0
    while limit is None or claims < limit:
        result = _start_next(db, clock)
        if result is None:
            break
        claims += 1
        out.extend(result)
    return out


def _start_next(db: Database, clock: Clock) -> list[dict[str, Any]] | None:
    result: list[dict[str, Any]] | None
    try:
        result = handle(db, start_next_due, actor=TIMER, clock=clock)
    except IntegrityError:          # another sweeper started that moment first (the unique moment)
        result = []
    except Crashed as failed:
        result = [handle(db, record_start_failure, actor=TIMER, clock=clock, process_id=failed.subject,
                         message=failed.message)]
    return result


@writes
def start_next_due(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> list[dict[str, Any]] | None:
    """The earliest due schedule, claimed (skipping those another sweeper holds), and the instances
    of its due moments started; None when no unclaimed schedule is due."""
    row = uow.schedules.claim_due(clock.now())
    if row is None:
        return None
    try:
        return _start_due(uow, row, clock, calendar_for(uow))
    except DBAPIError:
        raise                       # the database, not the process: the caller retries
    except Exception as e:
        log.exception("scheduled start of %s failed", row.process_id)
        raise Crashed(row.process_id, e) from e


def _moments(row: ProcessSchedule, rule: Schedule, now: datetime, calendar: BusinessCalendar) -> tuple[list[datetime],
                                                                                                      int]:
    """The moments due (strictly before now) since the last one started, and how many older ones
    are skipped (beyond MAX_CATCH_UP, or all but the newest when catching up with one)."""
    after = row.last_due_at or (row.anchor - _EPSILON)
    keep = 1 if row.catch_up == "one" else MAX_CATCH_UP
    return rule.due_between(after, now - _EPSILON, row.anchor, calendar, keep)


def _start_due(uow: UnitOfWork, row: ProcessSchedule, clock: Clock, calendar: BusinessCalendar) -> list[dict[str, Any]]:
    now = clock.now()
    rule = schedule_of(row)
    moments, skipped = _moments(row, rule, now, calendar)
    definition = uow.definitions.get(row.definition_id)
    assert definition is not None
    out = []
    for moment in moments[:BATCH]:
        out.append(_start_one(uow, definition, row, moment, skipped, clock))
        skipped = 0                               # counted on the first start of a catch-up
        row.last_due_at = moment
    row.next_at = rule.next_after(row.last_due_at or now, row.anchor, calendar)
    row.updated_at = now
    uow.schedules.put(row)
    return out


def _start_one(uow: UnitOfWork, definition: Definition, row: ProcessSchedule, moment: datetime, skipped: int,
               clock: Clock) -> dict[str, Any]:
    now = clock.now()
    start = ScheduledStart(process_id=row.process_id, due_at=moment, definition_id=definition.id, started_at=now,
                           skipped=skipped)
    uow.schedules.add_start(start)           # the unique (process, moment): never started twice
    instance, _ = begin_instance(uow, definition, TIMER, clock, {"scheduled_for": to_iso(moment)})
    start.instance_id = instance.id
    result = {"process": row.process_id, "version": definition.version, "due_at": to_iso(moment),
              "instance": instance.id, "catch_up": row.catch_up, "skipped": skipped}
    uow.events.append(type="scheduled_start", actor=TIMER.name, at=now, data=result)
    return {"scheduled_start": True, **result}


@writes
def record_start_failure(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str,
                         message: str) -> dict[str, Any]:
    """Nothing of the failed start is kept; the moment stays pending, looked at again after RETRY."""
    now = clock.now()
    row = uow.schedules.get(process_id, for_update=True)
    if row is not None:
        row.next_at, row.updated_at = now + RETRY, now
        uow.events.append(type="scheduled_start_failed", actor=actor.name, at=now,
                          data={"process": process_id, "error": message, "retry_at": to_iso(row.next_at)})
    return {"process": process_id, "incident": message}


@writes
def start_for_moment(uow: UnitOfWork, *, clock: Clock, process_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """A scheduled start again, as replay feeds it (the latest version, as the timer loop)."""
    definition = uow.definitions.latest("bpmn", process_id)
    assert definition is not None
    instance, _ = begin_instance(uow, definition, TIMER, clock, dict(data))
    return {"instance": instance.id}


@reads
def list_schedules(uow: UnitOfWork, *, clock: Clock) -> dict[str, dict[str, Any]]:
    """Every process's schedule (the timer loop's view, no actor): its rule, the version holding it,
    the next start, and the moments started so far with their instances."""
    out: dict[str, dict[str, Any]] = {}
    for row in uow.schedules.all():
        definition = uow.definitions.get(row.definition_id)
        out[row.process_id] = {"version": definition.version if definition else None, "kind": row.kind,
                               "text": row.text, "catch_up": row.catch_up, "next_start": next_start(row),
                               "starts": [{"due_at": to_iso(s.due_at), "instance": s.instance_id, "skipped": s.skipped}
                                          for s in uow.schedules.starts(row.process_id)]}
    return out
