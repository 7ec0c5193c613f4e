"""Evidence packs (`wuye evidence INSTANCE --out FILE`, issue 10): one PDF per instance for a court or
an auditor — the case summary, every letter as issued (number, hash, how and when delivered), the
payments, the violations, the timeline, and a verification page: each event's Merkle inclusion
proof against a signed checkpoint, and the checkpoint note itself.

The checkpoint is the last one kept when it covers the instance's last event, else a new one signed
now (recorded like any other, held by "证据包"). Proofs are checked here before they are printed,
as a stranger would check them with the documented command (engine/audit/offline.py)."""
from __future__ import annotations

import json
from typing import Any

from engine.audit.evidence_pdf import render_pdf
from engine.audit.note import key_path, signing_key, verifier_key
from engine.clock import Clock
from engine.rules.letters import letter_json
from engine.rules.permissions import SYSTEM, Actor, may_read_history
from engine.step import runtime
from engine.usecases.attachments import attachments_of
from engine.usecases.audit_history import instance_history
from engine.usecases.checkpoints import make_checkpoint
from engine.usecases.runner import writes
from storage.merkle import leaf_hash, verify_inclusion
from storage.uow import UnitOfWork

PAYMENT_MESSAGES = ("payment_received", "payment")


@writes
def evidence(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> dict[str, Any]:
    """What the pack holds, as JSON: the history, letters, payments, violations and the proof."""
    instance = runtime.get_instance(uow, instance_id)
    if actor is not SYSTEM:
        may_read_history(actor, instance.definition.meta)
    h = instance_history(uow, actor=actor, clock=clock, instance_id=instance_id)
    events = h["timeline"]
    last_seq = max((e["seq"] for e in events), default=0)
    kept = uow.checkpoints.latest()
    if kept is None or kept.size < last_seq:
        made = make_checkpoint(uow, actor=actor, clock=clock, holder=f"证据包 #{instance_id}")
        size, note, made_at = made["size"], made["note"], made["at"]
    else:
        size, note, made_at = kept.size, kept.note, kept.at.isoformat()
    root = uow.merkle.root(size)
    proofs = []
    for ev in uow.events.for_instance(instance_id):
        path = uow.merkle.inclusion_proof(ev.seq - 1, size)
        proofs.append({"seq": ev.seq, "instance": ev.instance_id, "type": ev.type, "actor": ev.actor,
                       "at": ev.at.isoformat(), "task": ev.task_id, "data": ev.data, "prev_hash": ev.prev_hash,
                       "event_hash": ev.hash, "proof": [p.hex() for p in path],
                       "verified": verify_inclusion(ev.seq - 1, size, leaf_hash(ev.hash), path, root)})
    completions = {e["task"]: e for e in events if e["type"] == "task_completed"}
    letters = [{**letter_json(x), "delivery": (completions.get(x.task_id) or {}).get("data", {}).get("data", {})}
               for x in uow.letters.for_instance(instance_id)]
    payments = [e for e in events if e["type"] == "message_delivered" and e["data"].get("name") in PAYMENT_MESSAGES]
    key = verifier_key(signing_key(key_path(uow.database_file)).public_key())
    return {"instance": h, "letters": letters, "payments": payments, "violations": h["violations"],
            "attachments": attachments_of(uow, instance_id),
            "proof": {"checkpoint": note, "size": size, "root": root.hex(), "made_at": made_at, "verifier_key": key,
                      "events": proofs, "all_verified": all(p["verified"] for p in proofs)},
            "generated_at": clock.now().isoformat(), "generated_by": actor.name}


@writes
def evidence_pdf(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> bytes:
    """The pack as a PDF, with its proof attached as wuye-proof.json for the offline check."""
    pack = evidence(uow, actor=actor, clock=clock, instance_id=instance_id)
    proof = json.dumps(pack["proof"], ensure_ascii=False, indent=1).encode()
    return render_pdf(pack, attachment=proof)
