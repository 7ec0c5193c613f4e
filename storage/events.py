"""The event log's repository: appends chained events (written together at flush or commit) and
reads them back, for one instance or, streamed as plain rows, all of them (the audit)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.chain import GENESIS, event_hash
from storage.models import Base, ChainHead, Event
from storage.prepared import Prepared


class EventRepository:
    """The hash-chained log. The chain head is locked at the first append of a transaction; the
    events appended are then written together, one INSERT of all rows and one UPDATE of the head,
    when the unit of work flushes or commits (or before this repository reads events): a step
    appends several, and one ORM flush per event wrote the head once per flush."""

    _HEAD = Base.metadata.tables[ChainHead.__tablename__]
    _LOCK_HEAD = Prepared(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update())
    _INSERT = Prepared(insert(Base.metadata.tables[Event.__tablename__]))
    _MOVE_HEAD = Prepared(update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("v_seq"), hash=bindparam("v_hash")))

    def __init__(self, session: Session):
        self.s = session
        self._head: tuple[int, str] | None = None    # (seq, hash) of the last event, ours included
        self._head_stored = True                     # False until the genesis head row is written
        self._unwritten: list[dict[str, Any]] = []

    def append(self, *, type: str, actor: str, at: datetime, instance_id: int | None = None,
               task_id: str | None = None, data: dict[str, Any] | None = None) -> EventRow:
        """The next event of the chain (written by ``write``), as a plain row: an ORM ``Event`` costs
        more to make than hashing the event, and nothing puts these in a session."""
        last_seq, prev_hash = self._lock_head()
        data = data or {}
        seq = last_seq + 1
        digest = event_hash(seq=seq, instance_id=instance_id, type=type, actor=actor, at=at,
                            task_id=task_id, data=data, prev_hash=prev_hash)
        event = EventRow(seq, instance_id, type, actor, at, task_id, data, prev_hash, digest)
        self._unwritten.append(event._asdict())
        self._head = (seq, digest)
        return event

    def write(self) -> None:
        """Write the events appended since the last write, and move the head to the last of them."""
        if not self._unwritten:
            return
        rows, self._unwritten = self._unwritten, []
        self._INSERT.execute_many(self.s, rows)
        assert self._head is not None     # set by the appends just written
        seq, digest = self._head
        if self._head_stored:
            self._MOVE_HEAD.execute(self.s, {"v_seq": seq, "v_hash": digest})
        else:
            self.s.connection().execute(insert(self._HEAD), {"id": 1, "seq": seq, "hash": digest})
            self._head_stored = True

    def _lock_head(self) -> tuple[int, str]:
        """Take the chain's single head row for update, once per transaction."""
        if self._head is None:
            rows = self._LOCK_HEAD.rows(self.s, {})
            self._head_stored = bool(rows)
            self._head = (rows[0][0], rows[0][1]) if rows else (0, GENESIS)
        return self._head

    def head(self) -> ChainHead | None:
        self.write()
        return self.s.get(ChainHead, 1, populate_existing=True)

    _EVENTS = Base.metadata.tables[Event.__tablename__]
    _LAST_AT = Prepared(select(_EVENTS.c.at).where(_EVENTS.c.instance_id == bindparam("instance_id"))
                        .order_by(_EVENTS.c.seq.desc()).limit(1))

    def last_at(self, instance_id: int) -> datetime | None:
        """When the instance's last recorded event happened (its events are in time order)."""
        pending: list[datetime] = [row["at"] for row in self._unwritten if row["instance_id"] == instance_id]
        if pending:
            return max(pending)
        rows = self._LAST_AT.rows(self.s, {"instance_id": instance_id})
        last: datetime | None = rows[0][0] if rows else None
        return last

    def first_at(self) -> datetime | None:
        """When the log began (its first event)."""
        found: datetime | None = self.s.scalar(select(Event.at).order_by(Event.seq).limit(1))
        return found

    def hash_of(self, seq: int) -> str | None:
        self.write()
        found: str | None = self.s.scalar(select(Event.hash).where(Event.seq == seq))
        return found

    def for_instance(self, instance_id: int) -> list[Event]:
        self.write()
        return list(self.s.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))

    _PAGE = Prepared(select(_EVENTS).where(_EVENTS.c.seq > bindparam("after")).order_by(_EVENTS.c.seq).limit(5000))

    def all(self) -> Iterable[EventRow]:
        """Every event in seq order, streamed in pages of 5000 plain rows (the audit walks
        millions: an ORM object per event cost most of the walk)."""
        self.write()
        after = -1
        while True:
            rows = self._PAGE.rows(self.s, {"after": after})
            if not rows:
                return
            for row in rows:
                yield EventRow(*row)
            after = rows[-1][0]


class EventRow(NamedTuple):
    """One stored event, as the audit reads it: the columns of ``Event``, in order."""
    seq: int
    instance_id: int | None
    type: str
    actor: str
    at: datetime
    task_id: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str

assert [c.name for c in EventRepository._EVENTS.c] == list(EventRow._fields), "EventRow must have Event's columns"
