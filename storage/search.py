"""The desk's search over instances (the ``instance_search`` text, storage.models.desk): on SQLite
through the FTS5 trigram table, on PostgreSQL through the pg_trgm GIN index. Each word is a
substring (``LIKE '%word%'``), which both indexes answer for words of three characters or more;
shorter words (a two-character Chinese word) are checked row by row on the matches of the others,
or over the whole text when a query has nothing longer."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, Text, and_, column, exists, func, or_, select, table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, undefer

from storage.models import Instance, InstanceSearch, Room, RoomPerson, Task
from storage.models.desk import FTS_TABLE

# SQLite's FTS5 trigram table over instance_search.body (made by migration 0021, not a model)
_FTS = table(FTS_TABLE, column("rowid", Integer), column("body", Text))


RECENT = 5000         # the newest instances read straight before the index is asked (see instances)


def like_pattern(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SearchRepository:
    def __init__(self, session: Session):
        self.s = session

    def put(self, instance_id: int, body: str) -> None:
        """The instance's searchable text is ``body`` from now on (insert or replace, one statement).
        An unchanged text is not written again: most steps change no searchable value, and a rewrite
        would redo the text index's entries (FTS5's triggers, the trigram GIN index) for nothing."""
        insert = pg_insert if self.s.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(InstanceSearch).values(instance_id=instance_id, body=body)
        self.s.execute(stmt.on_conflict_do_update(index_elements=["instance_id"], set_={"body": stmt.excluded.body},
                                                  where=InstanceSearch.body != stmt.excluded.body))

    def missing(self, limit: int = 1000) -> list[int]:
        """Instances without a search row yet (made before the search existed), oldest first."""
        q = (select(Instance.id).where(~exists().where(InstanceSearch.instance_id == Instance.id))
             .order_by(Instance.id).limit(limit))
        return list(self.s.scalars(q))

    def _matching(self, words: Sequence[str]) -> Select[Any]:
        """The ids of the instances whose text holds every word. On SQLite the FTS5 trigram index
        answers the words of three characters or more (it finds nothing for shorter ones), and the
        shorter ones are tested on those rows' text (or on every row's when no word is longer)."""
        ids = select(InstanceSearch.instance_id)
        if self.s.get_bind().dialect.name == "sqlite":
            long = [w for w in words if len(w) >= 3]
            if long:
                fts = select(_FTS.c.rowid).where(and_(*[_FTS.c.body.like(like_pattern(w), escape="\\") for w in long]))
                ids = ids.where(InstanceSearch.instance_id.in_(fts))
            short = [w for w in words if len(w) < 3]
            return ids.where(*[InstanceSearch.body.like(like_pattern(w), escape="\\") for w in short])
        return ids.where(*[InstanceSearch.body.ilike(like_pattern(w), escape="\\") for w in words])

    def instances(self, words: Sequence[str], *, process_ids: Sequence[str] | None = None, status: str | None = None,
                  room: str | None = None,
                  started_from: datetime | None = None, started_before: datetime | None = None,
                  overdue_at: datetime | None = None, limit: int = 50, with_data: bool = False,
                  recent: int = RECENT) -> list[Instance]:
        """Newest first: the instances whose text holds every word, among ``process_ids`` (None: any),
        with the status, started in the period, or with a ready task past its due time at ``overdue_at``.

        Two passes: the newest ``recent`` instances' text is read straight (what the desk looks for is
        mostly recent, and a common word fills the page there at once, where an index would hand
        over every match in the database to be sorted); only when they do not fill the page does the
        text index look through everything."""
        q = select(Instance).options(undefer(Instance.data)) if with_data else select(Instance)
        if words:
            newest = self.s.scalar(select(func.max(InstanceSearch.instance_id))) or 0
            first = self._filtered(q.join(InstanceSearch, InstanceSearch.instance_id == Instance.id).where(
                InstanceSearch.instance_id > newest - recent,
                *[InstanceSearch.body.ilike(like_pattern(w), escape="\\") for w in words]),
                process_ids, status, room, started_from, started_before, overdue_at)
            found = list(self.s.scalars(first.order_by(Instance.id.desc()).limit(limit)))
            if len(found) == limit or newest <= recent:
                return found
            # IN (…), not a join: SQLite would walk every instance probing the text index
            q = q.where(Instance.id.in_(self._matching(words)))
        q = self._filtered(q, process_ids, status, room, started_from, started_before, overdue_at)
        return list(self.s.scalars(q.order_by(Instance.id.desc()).limit(limit)))

    @staticmethod
    def _filtered(q: Select[Any], process_ids: Sequence[str] | None, status: str | None, room: str | None,
                  started_from: datetime | None, started_before: datetime | None,
                  overdue_at: datetime | None) -> Select[Any]:
        if process_ids is not None:
            q = q.where(Instance.process_id.in_(list(process_ids)))
        if status:
            q = q.where(Instance.status == status)
        if room:     # part of a room code: 3-2 finds every room of building 3, unit 2
            q = q.where(Instance.room.like(like_pattern(room), escape="\\"))
        if started_from is not None:
            q = q.where(Instance.started_at >= started_from)
        if started_before is not None:
            q = q.where(Instance.started_at < started_before)
        if overdue_at is not None:
            q = q.where(exists().where(Task.instance_id == Instance.id, Task.state == "ready",
                                       Task.due_at.is_not(None), Task.due_at < overdue_at))
        return q

    def rooms(self, words: Sequence[str], *, limit: int = 20) -> list[Room]:
        """Rooms whose code, or one of whose people's name or phones, holds every word."""
        q = select(Room)
        for w in words:
            like = like_pattern(w)
            people = select(RoomPerson.room_code).where(or_(RoomPerson.name.like(like, escape="\\"),
                                                            RoomPerson.phones.like(like, escape="\\")))
            q = q.where(or_(Room.code.like(like, escape="\\"), Room.code.in_(people)))
        return list(self.s.scalars(q.order_by(Room.building, Room.unit, Room.code).limit(limit)))

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(InstanceSearch)) or 0)
