"""Chain seals (issue 14, finding 13): the chain head as it was, signed at intervals with the audit
key kept outside the database (the checkpoints' key and signed-note format, engine/audit/note.py).

The chain proves itself only to someone who trusts its head row; whoever holds the database can
delete that row, move it back over a cut tail, or re-hash every event after an edit. A seal is a
signed note of (seq, hash) as the head was when sealed: `audit verify` checks each against the
events, so a cut tail or a re-hashed stretch is named, and a seal itself cannot be forged without
the key. The timer loop seals every ``SEAL_EVERY`` when the log grew (`wuye audit seal` by hand)."""
from __future__ import annotations

from dataclasses import dataclass
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
from engine.clock import Clock, to_iso
from engine.environment import positive_number
from engine.errors import BadInput
from engine.rules.permissions import SYSTEM, Actor, may_audit
from engine.usecases.runner import writes
from storage.models import ChainSeal
from storage.uow import UnitOfWork

SEAL_ORIGIN = f"{ORIGIN}/chain-head"        # a seal's note names another log than a checkpoint's
SEAL_EVERY = timedelta(seconds=positive_number("WUYE_SEAL_SECONDS", 300))


@writes
def seal_chain(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any] | None:
    """Seal the chain head as it is now; None when the log is empty or already sealed at its head."""
    if actor is not SYSTEM:
        may_audit(actor)
    head = uow.events.head()
    latest = uow.seals.latest()
    if head is None or (latest is not None and latest.seq >= head.seq):
        return None
    note = sign(Checkpoint(SEAL_ORIGIN, head.seq, bytes.fromhex(head.hash)), signing_key(key_path(uow.database_file)),
                name=SEAL_ORIGIN)
    uow.seals.add(ChainSeal(seq=head.seq, hash=head.hash, at=clock.now(), note=note))
    return {"seq": head.seq, "hash": head.hash, "at": to_iso(clock.now())}


@writes
def seal_if_due(uow: UnitOfWork, *, clock: Clock, every: timedelta = SEAL_EVERY) -> dict[str, Any] | None:
    """The timer loop's: a seal when the last is older than ``every`` and the log grew since."""
    latest = uow.seals.latest()
    if latest is not None and clock.now() - latest.at < every:
        return None
    return seal_chain(uow, actor=SYSTEM, clock=clock)


@dataclass(frozen=True)
class Seal:
    """A stored seal whose signature verified: the head it vouches for."""
    seq: int
    hash: str


def checked_seals(uow: UnitOfWork) -> tuple[list[Seal], str | None]:
    """The seals whose notes verify with this database's audit key, and the first problem (a seal
    edited or forged, or seals with no key to check them), None when there is none."""
    stored = uow.seals.all()
    if not stored:
        return [], None
    path = key_path(uow.database_file)
    if not path.exists():
        return [], f"{len(stored)} seals are stored but there is no audit key at {path} to check them"
    name, key_id, public = parse_verifier_key(verifier_key(signing_key(path).public_key(), SEAL_ORIGIN))
    seals: list[Seal] = []
    for row in stored:
        try:
            held = open_note(row.note, name, key_id, public)
        except BadInput:
            return seals, f"the seal at event {row.seq} does not verify with the audit key (forged or edited)"
        if held.origin != SEAL_ORIGIN or held.size != row.seq or held.root.hex() != row.hash:
            return seals, f"the seal at event {row.seq} says another head than its note (edited)"
        seals.append(Seal(row.seq, row.hash))
    return seals, None
