"""verify_audit: walk the whole event log and name the first event that was edited, deleted or moved."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import Clock
from engine.rules.permissions import SYSTEM, Actor, may_audit
from engine.usecases.runner import reads
from storage.chain import GENESIS, event_hash
from storage.uow import UnitOfWork


@reads
def verify_audit(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    if actor is not SYSTEM:
        may_audit(actor)
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last_at: dict[int, datetime] = {}            # instance -> the time of its last event so far
    for ev in uow.events.all():
        count += 1
        if ev.seq != expected_seq:
            return _broken(count - 1, expected_seq,
                           f"event {expected_seq} is missing (deleted); next found is {ev.seq}")
        if ev.prev_hash != prev_hash:
            return _broken(count - 1, ev.seq, "prev_hash does not match the event before it (an event before it was "
                                              "deleted, reordered, or edited and re-hashed)")
        recomputed = event_hash(seq=ev.seq, instance_id=ev.instance_id, type=ev.type, actor=ev.actor, at=ev.at,
                                task_id=ev.task_id, data=ev.data, prev_hash=ev.prev_hash)
        if recomputed != ev.hash:
            return _broken(count - 1, ev.seq, "its content does not match its hash (edited)")
        if ev.instance_id is not None:
            before = last_at.get(ev.instance_id)
            if before is not None and ev.at < before:
                return _broken(count - 1, ev.seq, f"its time {ev.at.isoformat()} is before the instance's previous "
                                                  f"event ({before.isoformat()}): time ran backwards")
            last_at[ev.instance_id] = ev.at
        prev_hash, expected_seq = ev.hash, ev.seq + 1
    head = uow.events.head()
    if head is not None and head.seq != expected_seq - 1:
        return _broken(count, expected_seq, f"the log ends at event {expected_seq - 1} but {head.seq} were written "
                                            "(events deleted from the end)")
    if head is not None and head.hash != prev_hash:
        # the last event was edited and re-hashed: only the chain head still remembers its hash
        return _broken(count - 1, expected_seq - 1, "its hash differs from the one recorded when it was written "
                                                    "(the last event was edited and re-hashed)")
    return {"ok": True, "events": count, "head": prev_hash}


def _broken(checked: int, seq: int, reason: str) -> dict[str, Any]:
    return {"ok": False, "events": checked, "first_broken": {"seq": seq, "reason": reason}}
