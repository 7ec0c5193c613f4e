"""The hash chain of the event log: one canonical form, one hash function.

Each event's hash is sha-256 over the canonical JSON of its content and the previous event's hash,
so editing, deleting or reordering any event breaks every hash after it."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64


def canonical(obj: object) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same bytes on every machine and database."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON serialisable in an event: {type(value).__name__}")


def event_hash(*, seq: int, instance_id: int | None, type: str, actor: str, at: datetime,
               task_id: str | None, data: dict[str, object], prev_hash: str) -> str:
    body = {"seq": seq, "instance": instance_id, "type": type, "actor": actor,
            "at": at.astimezone(UTC).isoformat(), "task": task_id, "data": data,
            "prev": prev_hash}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
