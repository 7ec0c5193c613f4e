"""Signed checkpoints of the event log and inclusion proofs (issue 10: integrity beyond a hash chain).

``make_checkpoint`` signs the log's tree head (size and Merkle root) with the key kept outside the
database and records that it did (an event, and the note, so the audit page shows the last one);
whoever is given the note keeps the proof. ``verify_against`` proves that a note kept elsewhere
is a prefix of today's log — a log rebuilt with new hashes or cut short fails it, whatever the
chain says of itself. ``inclusion_proof`` shows one event under a root in O(log n) hashes."""
from __future__ import annotations

import base64
import os
from datetime import timedelta
from typing import Any

from engine.audit.note import (
    ORIGIN,
    Checkpoint,
    key_path,
    open_note,
    parse_verifier_key,
    sign,
    signing_key,
    verifier_key,
)
from engine.clock import Clock
from engine.errors import BadInput, NotFound
from engine.rules.permissions import SYSTEM, Actor, may_audit
from engine.usecases.audit import verify_audit
from engine.usecases.runner import reads, writes
from storage.merkle import leaf_hash, verify_inclusion
from storage.models import AuditCheckpoint
from storage.uow import UnitOfWork


@writes
def make_checkpoint(uow: UnitOfWork, *, actor: Actor, clock: Clock, holder: str | None = None) -> dict[str, Any]:
    """Sign the tree head of the log as it is now (the checkpoint's own event comes after it)."""
    if actor is not SYSTEM:
        may_audit(actor)
    if holder is not None and not holder.strip():
        raise BadInput("holder: 不能为空 (who keeps the checkpoint, or leave it out)",
                       fields={"holder": {"key": "audit.holder", "message": "保管人不能为空"}})
    path = key_path(uow.database_file)
    key = signing_key(path)
    size = uow.merkle.size()
    uow.merkle.extend(size)
    root = uow.merkle.root(size)
    note = sign(Checkpoint(ORIGIN, size, root), key)
    now = clock.now()
    uow.checkpoints.add(AuditCheckpoint(size=size, root=root.hex(), note=note, at=now, made_by=actor.name,
                                        holder=holder))
    uow.events.append(type="audit_checkpoint", actor=actor.name, at=now,
                      data={"size": size, "root": root.hex(), "holder": holder})
    return {"size": size, "root": root.hex(), "note": note, "at": now.isoformat(), "holder": holder,
            "key": verifier_key(key.public_key()), "key_file": str(path)}


CHECKPOINT_EVERY = timedelta(hours=float(os.environ.get("WUYE_CHECKPOINT_HOURS", "24")))


@writes
def checkpoint_if_due(uow: UnitOfWork, *, clock: Clock, every: timedelta = CHECKPOINT_EVERY) -> dict[str, Any] | None:
    """The timer loop's: a checkpoint when the last one is older than ``every`` and the log grew
    since (the first one once the log's first event is that old); None when none was due."""
    last = uow.checkpoints.latest()
    size = uow.merkle.size()
    if size == 0 or (last is not None and size <= last.size + 1):    # nothing since, but its own event
        return None
    since = last.at if last is not None else uow.events.first_at()
    if since is None or clock.now() - since < every:
        return None
    return make_checkpoint(uow, actor=SYSTEM, clock=clock, holder=None)


@reads
def verify_against(uow: UnitOfWork, *, actor: Actor, clock: Clock, note: str,
                   verifier: str | None = None) -> dict[str, Any]:
    """Is the checkpoint in ``note`` (signed by our key, or by ``verifier``, a verifier key given by
    the auditor) a prefix of today's log, and is the log's chain whole?"""
    if actor is not SYSTEM:
        may_audit(actor)
    name, key_id, public = parse_verifier_key(verifier if verifier is not None else _our_verifier(uow))
    checkpoint = open_note(note, name, key_id, public)
    held = {"origin": checkpoint.origin, "size": checkpoint.size, "root": checkpoint.root.hex()}
    if checkpoint.origin != ORIGIN:
        return _parted(held, 0, f"the checkpoint is of another log ({checkpoint.origin}), not {ORIGIN}")
    chain = verify_audit(uow, actor=actor, clock=clock)
    size = uow.merkle.size()
    if size < checkpoint.size:
        return _parted(held, size + 1, f"the log ends at event {size} but the checkpoint covers {checkpoint.size} "
                                       "(events were cut from the end)", chain)
    root = uow.merkle.root(checkpoint.size)
    if root != checkpoint.root:
        where = chain.get("first_broken") or {}
        detail = (f"; the chain itself first breaks at event {where['seq']}" if where else
                  "; the chain was re-hashed to hide it")
        return _parted(held, where.get("seq"), f"the first {checkpoint.size} events do not hash to the checkpoint's "
                                               f"root: the log was rewritten at or before event {checkpoint.size}"
                                               + detail, chain)
    if not chain["ok"]:
        return {"ok": False, "checkpoint": held, "events": chain["events"], "first_broken": chain["first_broken"]}
    return {"ok": True, "checkpoint": held, "events": chain["events"], "head": chain["head"]}


@reads
def inclusion_proof(uow: UnitOfWork, *, actor: Actor, clock: Clock, seq: int,
                    size: int | None = None) -> dict[str, Any]:
    """Event ``seq``'s path to the root of the first ``size`` events (today's log by default), with
    the check done here as a stranger would do it."""
    if actor is not SYSTEM:
        may_audit(actor)
    total = uow.merkle.size()
    size = total if size is None else size
    if not 1 <= size <= total:
        raise BadInput(f"size: 日志只有 {total} 条事件 (the log has {total} events)",
                       fields={"size": {"key": "audit.size", "message": f"日志只有 {total} 条事件"}})
    if not 1 <= seq <= size:
        raise NotFound(f"没有第 {seq} 条事件 (no event {seq} in the first {size})")
    event_hash = _event_hash(uow, seq)
    uow.merkle.prefetch(seq - 1, size)
    proof = uow.merkle.inclusion_proof(seq - 1, size)
    root = uow.merkle.root(size)
    return {"seq": seq, "size": size, "event_hash": event_hash, "root": root.hex(),
            "root_base64": base64.b64encode(root).decode(), "proof": [p.hex() for p in proof],
            "verified": verify_inclusion(seq - 1, size, leaf_hash(event_hash), proof, root)}


@reads
def last_checkpoint(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any] | None:
    may_audit(actor)
    kept = uow.checkpoints.latest()
    if kept is None:
        return None
    return {"size": kept.size, "root": kept.root, "at": kept.at.isoformat(), "made_by": kept.made_by,
            "holder": kept.holder}


def _our_verifier(uow: UnitOfWork) -> str:
    path = key_path(uow.database_file)
    if not path.exists():
        raise BadInput(f"这个数据库还没有签过检查点 (no signing key at {path}: no checkpoint was ever made here)")
    return verifier_key(signing_key(path).public_key())


def _event_hash(uow: UnitOfWork, seq: int) -> str:
    found = uow.events.hash_of(seq)
    if found is None:
        raise NotFound(f"没有第 {seq} 条事件 (no event {seq})")
    return found


def _parted(held: dict[str, Any], seq: int | None, reason: str, chain: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "checkpoint": held, "parted": {"seq": seq, "reason": reason}}
    if chain is not None:
        out["events"] = chain["events"]
        if not chain["ok"]:
            out["first_broken"] = chain["first_broken"]
    return out
