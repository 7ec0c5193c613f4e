"""The hash chain of the event log: one canonical form, one hash function (and its bytes rebuilt
around an event as stored, for the audit: ``stored_bodies``).

Each event's hash is sha-256 over the canonical JSON of its content and the previous event's hash,
so editing, deleting or reordering any event breaks every hash after it."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical(obj: object) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same bytes on every machine and database."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def stored_json(obj: object) -> str:
    """How the database keeps a JSON value (the engines' serializer, storage/db.py): compact, UTF-8
    kept, keys in the order they were given (a definition's lanes and fields are shown in their
    order). An event's ``data`` is given with its keys sorted (``sorted_keys``), so its text is the
    canonical form, the very bytes its hash covers, and the audit hashes it as stored without
    decoding and encoding it again. No datetimes, as before: a value holding one is refused at the
    write."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sorted_keys(obj: Any) -> Any:
    """``obj`` with every mapping's keys in sorted order (what ``canonical`` would write)."""
    if isinstance(obj, dict):
        return {k: sorted_keys(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [sorted_keys(v) for v in obj]
    return obj


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


_BODY = b'{"actor":"%s","at":"%s+00:00","data":%s,"instance":%s,"prev":"%s","seq":%d,"task":%s,"type":"%s"}'
_TIMES = re.compile(rb"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\n)*", re.ASCII)
_ESCAPED = re.compile(rb'[\x00-\x1f"\\]')       # what json.dumps(ensure_ascii=False) escapes in a string


def stored_bodies(seqs: Sequence[Any], instances: Sequence[Any], types: Sequence[Any], actors: Sequence[Any],
                  times: Sequence[Any], tasks: Sequence[Any], data: Sequence[Any],
                  prevs: Sequence[Any]) -> list[bytes] | None:
    """The bytes ``event_hash`` hashes, for a page of events as stored, column by column: the texts
    as their UTF-8 bytes (the data the stored JSON, not decoded), ``times`` the UTC time as
    'YYYY-MM-DD HH:MM:SS.ffffff'. None when some value is not in that shape, or a string needs
    escaping (the caller then checks those events one by one with ``event_hash``).

    Equal to what ``event_hash`` hashed when the data text is canonical, as ``stored_json`` writes
    it; any other text (a log written before that, an edit) gives other bytes. They can never vouch
    for a text other than the one hashed: the keys around it are fixed, the actor (a JSON string
    without escapes) and the time end where they must, and after the text comes the fixed shape
    ``,"instance":int|null,"prev":"…","seq":int,"task":"…"|null,"type":"…"}`` whose strings hold
    no quote, so ``,"instance":`` occurs in it only at its start and no other text and tail can
    spell the same bytes."""
    try:
        joined = b"\n".join(times) + b"\n"
        if (_TIMES.fullmatch(joined) is None
                or _ESCAPED.search(b"".join([*actors, *types, *prevs, *filter(None, tasks)])) is not None
                or not set(map(type, instances)) <= {int, type(None)} or not set(map(type, seqs)) <= {int}
                or not set(map(type, data)) <= {bytes}):
            return None
        # as datetime.isoformat writes them, all at once: 'T' for the one space, no fraction when it is 0
        iso = joined.replace(b" ", b"T").replace(b".000000\n", b"\n").split(b"\n")
        return [_BODY % (actor, at, text, b"null" if instance is None else b"%d" % instance, prev, seq,
                         b"null" if task is None else b'"%s"' % task, type_)
                for seq, instance, type_, actor, at, task, text, prev
                in zip(seqs, instances, types, actors, iso, tasks, data, prevs, strict=False)]
    except TypeError:           # a NULL, or a value stored as a number where text belongs
        return None
