"""Re-execution (`wuye replay`): prove an instance's record by running it again.

The pinned definition version runs again on a fresh workflow in a scratch database (storage/scratch.py:
an empty schema with the real database's users and that definition, deleted afterwards), fed the
recorded inputs in their order and at their recorded times through a fixed clock: the start data,
every claim, give-back, assignment and completion with its submitted data, every external task's
completion with the data recorded (a built-in ``wuye.report``'s figures are fed back, not computed
again), every message, and every timer sweep. Everything the engine derives — tasks offered, timers
fired, violations with who pays and how much, letters, the instance's end — must come out as
recorded; the first event that does not is named, expected against actual, and so is a final state
that differs.

Nothing reaches the real database or the outside: letters are rendered into the scratch file only.
Values that only the database assigns are not compared: task ids (mapped recorded → replayed by
element and order), letter numbers and their hashes (numbered per database), event seq and hashes."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.clock import Clock, FixedClock, to_iso
from engine.errors import NotFound, WuyeError
from engine.rules.permissions import SYSTEM, TIMER, Actor, may_audit
from engine.usecases.external_tasks import complete_as_recorded
from engine.usecases.messages import deliver_message
from engine.usecases.runner import Database, handle, transactions
from engine.usecases.scheduled_starts import start_for_moment
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import assign_task, claim_task, complete_task, unclaim_task
from engine.usecases.timers import fire_due_timers
from storage.events import EventRow
from storage.models import Event
from storage.scratch import Scratch

# event data only this database could have given: not part of what a re-execution must reproduce
UNREPRODUCIBLE = {"letter_issued": ("number", "sha256", "letter")}


@transactions
def replay_instance(db: Database, *, actor: Actor, clock: Clock, instance_id: int) -> dict[str, Any]:
    if actor is not SYSTEM:
        may_audit(actor)
    with db.uow(readonly=True) as uow:
        instance = uow.instances.get(instance_id)
        if instance is None:
            raise NotFound(f"没有实例 {instance_id} (no instance {instance_id})")
        recorded = [_plain(e) for e in uow.events.for_instance(instance_id)]
        final = {"status": instance.status, "data": instance.data}
        with Scratch(uow, [instance.definition_id]) as scratch:
            return _rerun(scratch, instance_id, recorded, final)


@transactions
def replay_all(db: Database, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    if actor is not SYSTEM:
        may_audit(actor)
    with db.uow(readonly=True) as uow:
        ids = [i.id for i in uow.instances.search(limit=1_000_000)]
    diverged = []
    for instance_id in sorted(ids):
        result = replay_instance(db, actor=actor, clock=clock, instance_id=instance_id)
        if not result["matches"]:
            diverged.append({"instance": instance_id, "first_divergence": result.get("first_divergence"),
                             "final": result.get("final")})
    return {"instances": len(ids), "matches": len(ids) - len(diverged), "diverged": diverged,
            "ok": not diverged}


class _Replayed:
    """The scratch instance's side: its events so far, and recorded task ids mapped to its own."""

    def __init__(self, db: Database):
        self.db = db
        self.instance: int | None = None
        self.ids: dict[str, str] = {}

    def events(self) -> list[EventRow]:
        if self.instance is None:
            return []
        with self.db.uow(readonly=True) as uow:
            return [_plain(e) for e in uow.events.for_instance(self.instance)]

    def task(self, recorded_id: str | None, recorded: list[EventRow]) -> str:
        """The replayed task standing for a recorded one: the same element's k-th offer."""
        if recorded_id not in self.ids:
            self.map_tasks(recorded)
        if recorded_id is None or recorded_id not in self.ids:
            raise NotFound(f"重放时没有出现对应的任务 (the replay never offered the task recorded as {recorded_id})")
        return self.ids[recorded_id]

    def map_tasks(self, recorded: list[EventRow]) -> None:
        """Pair the recorded tasks of each element (user tasks, timers, catch events) with the
        replay's, in the order each first appears in the record."""
        def offers(events: list[EventRow]) -> dict[str, list[str]]:
            out: dict[str, list[str]] = defaultdict(list)
            for e in events:
                name = (e.data or {}).get("name", "")
                if e.task_id and e.task_id not in out[name]:
                    out[name].append(e.task_id)
            return out
        mine = offers(self.events())
        for name, ids in offers(recorded).items():
            for original, replayed in zip(ids, mine.get(name, []), strict=False):
                self.ids.setdefault(original, replayed)


def _plain(e: Event) -> EventRow:
    return EventRow(e.seq, e.instance_id, e.type, e.actor, e.at, e.task_id, e.data, e.prev_hash, e.hash)


def _as(actor: str) -> Actor | str:
    return SYSTEM if actor == SYSTEM.name else actor


def _feed(scratch: _Replayed, event: EventRow, recorded: list[EventRow]) -> None:
    """Give the scratch database the recorded input ``event`` (at its time, as its actor)."""
    clock = FixedClock(event.at)
    data = event.data or {}
    if event.type == "instance_started" and event.actor == TIMER.name:       # a scheduled start
        started = handle(scratch.db, start_for_moment, actor=None, clock=clock, process_id=data["process"],
                         data=data.get("data") or {})
        scratch.instance = started["instance"]
    elif event.type == "instance_started":
        started = handle(scratch.db, start_instance, actor=_as(event.actor), clock=clock,
                         process_id=data["process"], data=data.get("data") or {})
        scratch.instance = started["instance"]
    elif event.type == "task_completed":
        handle(scratch.db, complete_task, actor=_as(event.actor), clock=clock,
               task_id=scratch.task(event.task_id, recorded), data=data.get("data") or {})
    elif event.type == "external_task_completed":
        handle(scratch.db, complete_as_recorded, actor=_as(event.actor), clock=clock,
               task_id=scratch.task(event.task_id, recorded), data=data.get("data") or {})
    elif event.type in ("task_claimed", "task_unclaimed", "task_assigned"):
        task = scratch.task(event.task_id, recorded)
        if event.type == "task_claimed":
            handle(scratch.db, claim_task, actor=_as(event.actor), clock=clock, task_id=task)
        elif event.type == "task_unclaimed":
            handle(scratch.db, unclaim_task, actor=_as(event.actor), clock=clock, task_id=task)
        else:
            handle(scratch.db, assign_task, actor=_as(event.actor), clock=clock, task_id=task,
                   assignee=data.get("assignee") or "")
    elif event.type == "message_delivered":
        assert scratch.instance is not None
        handle(scratch.db, deliver_message, actor=_as(event.actor), clock=clock, instance_id=scratch.instance,
               name=data["name"], data=data.get("data") or {})
    elif event.type == "timer_fired" and event.actor == TIMER.name:
        handle(scratch.db, fire_due_timers, actor=None, clock=clock)


INPUTS = {"instance_started", "task_completed", "external_task_completed", "task_claimed", "task_unclaimed",
          "task_assigned", "message_delivered", "timer_fired"}


def _comparable(event: EventRow, ids: dict[str, str] | None = None) -> dict[str, Any]:
    data = {k: v for k, v in (event.data or {}).items() if k not in UNREPRODUCIBLE.get(event.type, ())}
    task = event.task_id if ids is None else ids.get(event.task_id or "", event.task_id)
    return {"type": event.type, "actor": event.actor, "at": to_iso(event.at), "task": task, "data": data}


def _rerun(db: Database, instance_id: int, recorded: list[EventRow], final: dict[str, Any]) -> dict[str, Any]:
    scratch = _Replayed(db)
    for event in recorded:
        if event.type not in INPUTS:
            continue
        try:
            _feed(scratch, event, recorded)
        except WuyeError as e:
            return {"instance": instance_id, "matches": False, "events": len(recorded),
                    "first_divergence": {"seq": event.seq, "expected": _comparable(event),
                                         "actual": f"the replay refused it: {e.message}"}}
    replayed = scratch.events()
    scratch.map_tasks(recorded)
    reverse = {mine: original for original, mine in scratch.ids.items()}
    for index, (want, got) in enumerate(zip(recorded, replayed, strict=False)):
        expected, actual = _comparable(want), _comparable(got, reverse)
        if expected != actual:
            return {"instance": instance_id, "matches": False, "events": len(recorded),
                    "first_divergence": {"index": index, "seq": want.seq, "expected": expected, "actual": actual}}
    if len(recorded) != len(replayed):
        at = min(len(recorded), len(replayed))
        last: EventRow | None = recorded[at] if at < len(recorded) else None
        extra: EventRow | None = replayed[at] if at < len(replayed) else None
        return {"instance": instance_id, "matches": False, "events": len(recorded),
                "first_divergence": {"index": at, "seq": last.seq if last is not None else None,
                                     "expected": _comparable(last) if last is not None else None,
                                     "actual": _comparable(extra, reverse) if extra is not None else None}}
    with db.uow(readonly=True) as uow:
        mine = uow.instances.get(scratch.instance) if scratch.instance is not None else None
        again = {"status": mine.status, "data": mine.data} if mine is not None else None
    if again != final:
        return {"instance": instance_id, "matches": False, "events": len(recorded),
                "final": {"expected": final, "actual": again}}
    return {"instance": instance_id, "matches": True, "events": len(recorded)}
