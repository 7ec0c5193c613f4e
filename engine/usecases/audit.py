"""verify_audit: walk the whole event log and name the first event that was edited, deleted or moved;
check the chain head (a missing head is an error) and every seal of it (engine/usecases/seals.py:
a cut tail, or a stretch re-hashed over an edit); with ``deep``, every derived row against the
events that made it (engine/audit/deep.py)."""
from __future__ import annotations

import bisect
import hashlib
import operator
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from engine.audit.deep import Derivations, mismatches
from engine.clock import Clock
from engine.rules.permissions import SYSTEM, Actor, may_audit
from engine.usecases.runner import reads
from engine.usecases.seals import checked_seals
from storage.chain import GENESIS, event_hash
from storage.events import EventPage, EventRow, Unreadable
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


class _Walk:
    """Where the walk is: the chain so far, each instance's last time, the last seal that held."""

    def __init__(self, sealed: dict[int, str]):
        self.sealed = sealed
        self.prev_hash, self.expected_seq, self.count = GENESIS, 1, 0
        self.last_at: dict[int, bytes] = {}     # instance -> the stored UTC time text of its last event
        self.last_good_seal = 0
        self.seal_seqs = sorted(sealed)


_HEX = operator.methodcaller("hexdigest")


def _page(page: EventPage, w: _Walk) -> dict[str, Any] | Literal[False] | None:
    """A whole page at once, in C where it can be: seqs without a gap, each prev_hash the hash before
    it, each hash over the bytes as stored, the seals. False when any of these fails (the page is
    then checked event by event, which names the first broken event and accepts a page whose data
    was stored in another form before); else the time order, the one check left, event by event."""
    n = len(page.seqs)
    if (page.bodies is None or page.seqs[0] != w.expected_seq or page.seqs[-1] != w.expected_seq + n - 1
            or page.prevs[0] != w.prev_hash.encode() or tuple(map(bytes.decode, page.prevs[1:])) != page.hashes[:-1]
            or list(map(_HEX, map(hashlib.sha256, page.bodies))) != list(page.hashes)):
        return False
    seals = w.seal_seqs[bisect.bisect_left(w.seal_seqs, page.seqs[0]):bisect.bisect_right(w.seal_seqs, page.seqs[-1])]
    if any(w.sealed[seq] != page.hashes[seq - page.seqs[0]] for seq in seals):
        return False
    last_at = w.last_at
    for k, (instance_id, at) in enumerate(zip(page.instances, page.times, strict=True)):
        if instance_id is not None:
            before = last_at.get(instance_id)
            if before is not None and at < before:
                return _backwards(w.count + k, page.seqs[k], _iso(at), _iso(before))
            last_at[instance_id] = at
    w.count += n
    w.prev_hash, w.expected_seq = page.hashes[-1], page.seqs[-1] + 1
    w.last_good_seal = max(seals, default=w.last_good_seal)
    return None


def _iso(stored: bytes) -> str:
    return datetime.fromisoformat(stored.decode()).replace(tzinfo=UTC).isoformat()


def _backwards(checked: int, seq: int, at: str, before: str) -> dict[str, Any]:
    return _broken(checked, seq, f"its time {at} is before the instance's previous event ({before}): "
                                 "time ran backwards")


def _rows(events: Iterable[EventRow | Unreadable], w: _Walk) -> dict[str, Any] | None:
    """Event by event: the first that is broken, or None."""
    for ev in events:
        w.count += 1
        if ev.seq != w.expected_seq:
            return _broken(w.count - 1, w.expected_seq,
                           f"event {w.expected_seq} is missing (deleted); next found is {ev.seq}")
        if isinstance(ev, Unreadable):
            return _broken(w.count - 1, ev.seq, f"its stored time or data cannot be read (edited): {ev.reason}")
        if ev.prev_hash != w.prev_hash:
            return _broken(w.count - 1, ev.seq, "prev_hash does not match the event before it (an event before it "
                                                "was deleted, reordered, or edited and re-hashed)")
        recomputed = event_hash(seq=ev.seq, instance_id=ev.instance_id, type=ev.type, actor=ev.actor, at=ev.at,
                                task_id=ev.task_id, data=ev.data, prev_hash=ev.prev_hash)
        if recomputed != ev.hash:
            return _broken(w.count - 1, ev.seq, "its content does not match its hash (edited)")
        if ev.instance_id is not None:
            at = ev.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f").encode()
            before = w.last_at.get(ev.instance_id)
            if before is not None and at < before:
                return _backwards(w.count - 1, ev.seq, ev.at.isoformat(), _iso(before))
            w.last_at[ev.instance_id] = at
        if ev.seq in w.sealed:
            if w.sealed[ev.seq] != ev.hash:
                return {**_broken(w.count, w.last_good_seal + 1,
                                  f"the events after the seal at {w.last_good_seal or 'the start'} up to the seal "
                                  f"at {ev.seq} were rewritten and re-hashed: event {ev.seq} no longer has the hash "
                                  "sealed when it was the head"), "rewritten": [w.last_good_seal + 1, ev.seq]}
            w.last_good_seal = ev.seq
        w.prev_hash, w.expected_seq = ev.hash, ev.seq + 1
    return None


def _walk(uow: UnitOfWork, sealed: dict[int, str]) -> dict[str, Any]:
    """One pass over the log, a page at a time (``_page``), a page that does not pass whole checked
    event by event (``_rows``): the same checks, the same first broken event, either way."""
    w = _Walk(sealed)
    for page in uow.events.pages():
        found = _page(page, w)
        broken = _rows(uow.events.between(page.after, page.seqs[-1]), w) if found is False else found
        if broken:
            return broken
    prev_hash, expected_seq, count = w.prev_hash, w.expected_seq, w.count
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
