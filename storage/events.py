"""The event log's repository: appends chained events (written together at flush or commit) and
reads them back, for one instance or, streamed as plain rows, all of them (the audit)."""
from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.chain import GENESIS, event_hash, sorted_keys, stored_bodies
from storage.models import Base, ChainHead, Event
from storage.prepared import Prepared, driver_of


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
        data = sorted_keys(data or {})            # stored as its canonical text (storage/chain.py)
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

    _HASH_OF = Prepared(select(_EVENTS.c.hash).where(_EVENTS.c.seq == bindparam("seq")))

    def hash_of(self, seq: int) -> str | None:
        self.write()
        rows = self._HASH_OF.rows(self.s, {"seq": seq})
        found: str | None = rows[0][0] if rows else None
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

    PAGE_ROWS = 20_000

    def pages(self) -> Iterator[EventPage]:
        """Every event in seq order, in pages of ``PAGE_ROWS``, as the audit checks them
        (``EventPage``). Read on the driver's cursor with the page bounds written in as integers, and
        the data as its stored text, undecoded: SQLAlchemy's row and type processing, and decoding and
        re-encoding the JSON, cost several times the hashing of a million events."""
        self.write()
        dialect, driver = driver_of(self.s)
        sqlite = dialect.name == "sqlite"
        sql = _page_sql(sqlite)
        after = -1
        collecting = gc.isenabled()
        gc.disable()         # a page is 20,000 rows of tuples, none of them cyclic: no collector runs over them
        try:
            while True:
                cursor = driver.cursor()
                try:
                    cursor.execute(sql.format(after=int(after), limit=int(self.PAGE_ROWS)))
                    rows = cursor.fetchall()
                finally:
                    cursor.close()
                if not rows:
                    return
                yield EventPage.of(after, rows if sqlite else [_as_sqlite(row) for row in rows])
                after = rows[-1][0]
        finally:
            if collecting:
                gc.enable()

    def between(self, after: int, upto: int) -> list[EventRow | Unreadable]:
        """The events ``after`` < seq <= ``upto``, as ``all`` gives them; one whose stored time or
        data cannot be read as one (an edit) as ``Unreadable``."""
        self.write()
        try:
            return [EventRow(*row) for row in self._RANGE.rows(self.s, {"after": after, "upto": upto})]
        except ValueError:          # not JSON, not a time: read them one by one to name it
            seqs = self.s.scalars(select(Event.seq).where(Event.seq > after, Event.seq <= upto).order_by(Event.seq))
            out: list[EventRow | Unreadable] = []
            for seq in list(seqs):
                try:
                    out += [EventRow(*row) for row in self._RANGE.rows(self.s, {"after": seq - 1, "upto": seq})]
                except ValueError as e:
                    out.append(Unreadable(seq, str(e)[:200]))
            return out

    _RANGE = Prepared(select(_EVENTS).where(_EVENTS.c.seq > bindparam("after"), _EVENTS.c.seq <= bindparam("upto"))
                      .order_by(_EVENTS.c.seq))


def _page_sql(sqlite: bool) -> str:
    """SQLite hands each text over as its bytes (``CAST(… AS BLOB)``, no decoding); PostgreSQL as text."""
    column = "CAST({} AS BLOB)" if sqlite else "CAST({} AS TEXT)"
    names = ("type", "actor", "at", "task_id", "data", "prev_hash")
    return (f"SELECT seq, instance_id, {', '.join(column.format(n) if n != 'at' or sqlite else n for n in names)}, "
            "hash FROM events WHERE seq > {after} ORDER BY seq LIMIT {limit}")


def _as_sqlite(row: Sequence[Any]) -> tuple[Any, ...]:
    """A PostgreSQL row as SQLite gives it: the time as UTC text, every text as UTF-8 bytes."""
    seq, instance_id, type_, actor, at, task_id, data, prev, digest = row
    if isinstance(at, datetime) and at.tzinfo is not None:
        at = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (seq, instance_id, *(v.encode("utf-8") if isinstance(v, str) else v
                                for v in (type_, actor, at, task_id, data, prev)), digest)


class EventPage(NamedTuple):
    """A page of the log, column by column, for the audit. ``times`` are the stored UTC times as
    UTF-8 text 'YYYY-MM-DD HH:MM:SS.ffffff' (fixed width: they sort as the times do), ``prevs`` the
    stored prev_hash as UTF-8; ``bodies`` the bytes each event's hash covers, built around its stored
    data (storage/chain.py ``stored_bodies``), or None when some event of the page is not in the
    stored shape: the audit then reads the page as ``EventRow``s and checks it event by event."""
    after: int
    seqs: tuple[int, ...]
    instances: tuple[int | None, ...]
    times: tuple[bytes, ...]
    prevs: tuple[bytes, ...]
    hashes: tuple[str, ...]
    bodies: list[bytes] | None

    @classmethod
    def of(cls, after: int, rows: list[tuple[Any, ...]]) -> EventPage:
        seqs, instances, types, actors, times, tasks, data, prevs, hashes = zip(*rows, strict=True)
        bodies = stored_bodies(seqs, instances, types, actors, times, tasks, data, prevs)
        return cls(after, seqs, instances, times, prevs, hashes, bodies)


class Unreadable(NamedTuple):
    """A stored event whose time or data is not one (``between``)."""
    seq: int
    reason: str


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
