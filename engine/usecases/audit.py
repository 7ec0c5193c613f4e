"""verify_audit: walk the whole event log and name the first event that was edited, deleted or moved;
check the chain head (a missing head is an error) and every seal of it (engine/usecases/seals.py:
a cut tail, or a stretch re-hashed over an edit); with ``deep``, every derived row against the
events that made it (engine/audit/deep.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.audit.deep import Derivations, mismatches
from engine.clock import Clock
from engine.rules.permissions import SYSTEM, Actor, may_audit
from engine.usecases.runner import reads
from engine.usecases.seals import checked_seals
from storage.chain import GENESIS, event_hash
from storage.uow import UnitOfWork


@reads
def verify_audit(uow: UnitOfWork, *, actor: Actor, clock: Clock, deep: bool = False) -> dict[str, Any]:
    if actor is not SYSTEM:
        may_audit(actor)
    seals, seal_problem = checked_seals(uow)
    sealed = {seal.seq: seal.hash for seal in seals}
    chain = _walk(uow, sealed)
    rehashed = not chain["ok"] and ("rewritten" in chain or _HEAD_REHASHED in chain["first_broken"]["reason"])
    # a stretch re-hashed over an edit is known by its end: the derived rows name its first edited event
    rows = mismatches(uow, _derivations(uow)) if deep or rehashed else []
    if rows:
        chain["derived"] = rows
    if not chain["ok"]:
        return _first_edit(chain, rows)
    if seal_problem:
        return _broken(chain["events"], seals[-1].seq + 1 if seals else 1, seal_problem, rows)
    if rows:
        first = rows[0]
        return _broken(chain["events"], first["seq"], f"{first['row']}: {first['reason']} (a derived row was "
                                                      "edited, or its event was edited and the chain re-hashed)", rows)
    return chain


_HEAD_REHASHED = "(the last event was edited and re-hashed, or events before it and the chain re-hashed over them)"


def _derivations(uow: UnitOfWork) -> Derivations:
    """A pass of its own over the whole log: a chain broken early must not hide later rows."""
    seen = Derivations()
    for ev in uow.events.all():
        seen.see(ev)
    return seen


def _walk(uow: UnitOfWork, sealed: dict[int, str]) -> dict[str, Any]:
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last_at: dict[int, datetime] = {}            # instance -> the time of its last event so far
    last_good_seal = 0
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
        if ev.seq in sealed:
            if sealed[ev.seq] != ev.hash:
                return {**_broken(count, last_good_seal + 1,
                                  f"the events after the seal at {last_good_seal or 'the start'} up to the seal at "
                                  f"{ev.seq} were rewritten and re-hashed: event {ev.seq} no longer has the hash "
                                  "sealed when it was the head"), "rewritten": [last_good_seal + 1, ev.seq]}
            last_good_seal = ev.seq
        prev_hash, expected_seq = ev.hash, ev.seq + 1
    last = expected_seq - 1
    head = uow.events.head()
    if head is None and count:
        return _broken(count, last, f"the chain head is missing (deleted): the log's end cannot be checked "
                                    f"(it now ends at event {last})")
    if sealed and max(sealed) > last:
        return _broken(count, last + 1, f"the log ends at event {last} but event {max(sealed)} was sealed "
                                        "(events cut from the end)")
    if head is not None and head.seq != last:
        return _broken(count, expected_seq, f"the log ends at event {last} but {head.seq} were written "
                                            "(events deleted from the end)")
    if head is not None and head.hash != prev_hash:
        # the last event was edited and re-hashed: only the chain head still remembers its hash
        return _broken(count - 1, last, f"its hash differs from the one recorded when it was written {_HEAD_REHASHED}")
    return {"ok": True, "events": count, "head": prev_hash}


def _first_edit(chain: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A rewritten stretch (between two seals) or a re-hashed last event is known by its end: the
    first derived row of it that disagrees with its event names the first edited event."""
    span = chain.pop("rewritten", None)
    lo, hi = span if span else (1, chain["first_broken"]["seq"])
    inside = [r for r in rows if r["seq"] is not None and lo <= r["seq"] <= hi]
    if inside:
        chain["first_broken"] = {"seq": inside[0]["seq"], "reason": f"{inside[0]['row']}: {inside[0]['reason']}; "
                                 f"the first edited event (the chain was re-hashed after it, up to {hi})"}
    return chain


def _broken(checked: int, seq: int | None, reason: str, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "events": checked, "first_broken": {"seq": seq, "reason": reason}}
    if rows:
        out["derived"] = rows
    return out
