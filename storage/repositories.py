"""Repositories: the queries the engine needs, each against the session of one unit of work."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Select,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session, undefer

from storage.models import (
    Base,
    Definition,
    Instance,
    Letter,
    Task,
    TaskCandidate,
    Violation,
)
from storage.prepared import Prepared

DEPLOY_LOCK = 0x77757965  # 'wuye': the advisory lock deploys take turns on


class DefinitionRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, definition_id: int) -> Definition | None:
        return self.s.get(Definition, definition_id)

    def latest(self, kind: str, key: str) -> Definition | None:
        return self.s.scalars(select(Definition).where(Definition.kind == kind, Definition.key == key)
                              .order_by(Definition.version.desc()).limit(1)).first()

    def latest_all(self, kind: str | None = None) -> list[Definition]:
        newest = (select(Definition.kind, Definition.key, func.max(Definition.version).label("v"))
                  .group_by(Definition.kind, Definition.key).subquery())
        q = select(Definition).join(newest, (Definition.kind == newest.c.kind)
                                    & (Definition.key == newest.c.key) & (Definition.version == newest.c.v))
        if kind:
            q = q.where(Definition.kind == kind)
        return list(self.s.scalars(q.order_by(Definition.key)))

    def versions(self, kind: str, key: str) -> list[Definition]:
        return list(self.s.scalars(select(Definition).where(Definition.kind == kind, Definition.key == key)
                                   .order_by(Definition.version)))

    def add(self, definition: Definition) -> Definition:
        self.s.add(definition)
        return definition

    def version(self, kind: str, key: str, version: int) -> Definition | None:
        return self.s.scalars(select(Definition).where(Definition.kind == kind, Definition.key == key,
                                                       Definition.version == version)).first()

    def lock_versions(self) -> None:
        """Two deploys at once take turns from here, so each reads the other's new version before
        numbering its own (on SQLite the writing transaction already holds the only write lock)."""
        if self.s.get_bind().dialect.name == "postgresql":
            self.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEPLOY_LOCK})

    def running_counts(self, kind: str, key: str) -> dict[int, int]:
        """definition id -> how many instances of it are still running (or stopped in an incident)."""
        rows = self.s.execute(select(Instance.definition_id, func.count()).join(Definition)
                              .where(Definition.kind == kind, Definition.key == key,
                                     Instance.status.in_(("running", "error")))
                              .group_by(Instance.definition_id)).all()
        return {int(definition_id): int(count) for definition_id, count in rows}

    def waiting_instances(self, definition_id: int) -> list[int]:
        """The running instances pinned to one version, oldest first (candidates for a migration)."""
        return list(self.s.scalars(select(Instance.id).where(Instance.definition_id == definition_id,
                                                             Instance.status == "running").order_by(Instance.id)))


class InstanceRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, instance_id: int, *, for_update: bool = False, skip_locked: bool = False) -> Instance | None:
        q = select(Instance).where(Instance.id == instance_id)
        if for_update:
            q = q.with_for_update(skip_locked=skip_locked, of=Instance)
        return self.s.scalars(q).first()

    # Statements every step runs are built once, here and below: building one costs about as much as
    # running it; only the bound values change.
    _ROWS = Base.metadata.tables[Instance.__tablename__]
    _LOCK = Prepared(select(_ROWS.c.id, _ROWS.c.version).where(_ROWS.c.id == bindparam("instance_id"))
                     .with_for_update())
    _LOCK_FOR_TASK = Prepared(select(_ROWS.c.id, _ROWS.c.version).where(
        _ROWS.c.id == select(Task.instance_id).where(Task.id == bindparam("task_id")).scalar_subquery())
        .with_for_update(of=_ROWS))

    def lock(self, instance_id: int) -> int | None:
        """Row-lock an instance (until the transaction ends) and read only its version: the caller
        may hold the row's object as of that version already (see ``adopt``). None: no such instance."""
        rows = self._LOCK.rows(self.s, {"instance_id": instance_id})
        return int(rows[0][1]) if rows else None

    def lock_for_task(self, task_id: str) -> tuple[int, int] | None:
        """``lock`` for the instance a task belongs to, found through the task in the same statement:
        (instance id, version)."""
        rows = self._LOCK_FOR_TASK.rows(self.s, {"task_id": task_id})
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def adopt(self, instance: Instance) -> Instance | None:
        """An instance object another (finished) transaction loaded and committed, taken into this
        one instead of loading the row again; the caller has checked, under the row lock, that the
        row is still at the object's version. None when this session already holds that row or its
        definition as other objects (then load it with ``get``)."""
        s = self.s
        if (s.identity_map.get(s.identity_key(Instance, instance.id)) is not None
                or s.identity_map.get(s.identity_key(Definition, instance.definition_id)) is not None):
            return None
        s.add(instance)
        return instance

    def add(self, instance: Instance) -> Instance:
        self.s.add(instance)
        self.s.flush()
        return instance

    def due_ids(self, now: datetime, limit: int) -> list[int]:
        """Instances with a timer strictly before ``now`` (SpiffWorkflow fires strictly after due),
        earliest first, read through the index on next_timer_at."""
        return list(self.s.scalars(select(Instance.id).where(Instance.next_timer_at < now)
                                   .order_by(Instance.next_timer_at).limit(limit)))

    def claim_due(self, now: datetime) -> Instance | None:
        """The earliest instance with a timer due strictly before ``now`` that no other transaction
        holds, row-locked until this transaction ends. One statement, like Camunda's job acquisition:
        on PostgreSQL ``FOR UPDATE SKIP LOCKED`` makes concurrent sweepers each take a different row
        instead of queueing on the same one, and the row is re-read under the lock, so one that
        another sweeper has just fired (next_timer_at moved on) no longer matches. SQLite has no row
        locks: there the writing transaction already holds the database's single write lock."""
        instance_id = self.s.scalar(select(Instance.id).where(Instance.next_timer_at < now)
                                    .order_by(Instance.next_timer_at).limit(1)
                                    .with_for_update(skip_locked=True))
        return None if instance_id is None else self.get(instance_id)

    def definition_ids(self, instance_ids: Iterable[int]) -> dict[int, int]:
        """instance id -> definition id in one query: a list of tasks needs only the (few) definitions'
        metadata, not every instance's state (the inbox lists hundreds of instances' tasks)."""
        ids = list(dict.fromkeys(instance_ids))
        if not ids:
            return {}
        return dict(self.s.execute(select(Instance.id, Instance.definition_id).where(Instance.id.in_(ids))).all())

    def data_of(self, instance_ids: Iterable[int]) -> list[tuple[int, int, dict[str, Any] | None]]:
        """(instance id, definition id, data projection) of these instances in one query (the
        inbox's case cards), without their workflow state."""
        ids = list(dict.fromkeys(instance_ids))
        if not ids:
            return []
        rows = self.s.execute(select(Instance.id, Instance.definition_id, Instance.data).where(Instance.id.in_(ids)))
        return [(i, d, data) for i, d, data in rows.all()]

    def next_timer_at(self) -> datetime | None:
        return self.s.scalar(select(func.min(Instance.next_timer_at)))

    def search(self, *, process_id: str | None = None, status: str | None = None,
               room: str | None = None, limit: int = 100) -> list[Instance]:
        q = select(Instance)
        if process_id:
            q = q.where(Instance.process_id == process_id)
        if status:
            q = q.where(Instance.status == status)
        if room:     # part of a room code: 3-2 finds every room of building 3, unit 2
            pattern = "%" + room.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(Instance.room.like(pattern, escape="\\"))
        return list(self.s.scalars(q.order_by(Instance.id.desc()).limit(limit)))


    def with_data(self, instance_ids: Iterable[int]) -> list[Instance]:
        """These instances with their data projection loaded."""
        q = select(Instance).options(undefer(Instance.data)).where(Instance.id.in_(list(instance_ids)))
        return list(self.s.scalars(q.order_by(Instance.id)))

    def running_of(self, process_ids: Iterable[str], limit: int = 10_000) -> list[Instance]:
        """Running instances of these processes, with their data and waiting projections (message
        correlation, signals)."""
        q = (select(Instance).options(undefer(Instance.data), undefer(Instance.waiting))
             .where(Instance.process_id.in_(list(process_ids)), Instance.status == "running"))
        return list(self.s.scalars(q.order_by(Instance.id).limit(limit)))


class InboxKey(NamedTuple):
    """A task's place in the inbox order: the keyset cursor of a page (the page's last row)."""
    due_at: datetime | None
    created_at: datetime
    id: str


class TaskRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, task_id: str, *, fresh: bool = False, with_values: bool = False) -> Task | None:
        """``fresh``: read the row even if this session holds it already (e.g. after taking a lock);
        ``with_values``: with the form's current values in the same statement (they are deferred)."""
        return self.s.get(Task, task_id, populate_existing=fresh,
                          options=[undefer(Task.values)] if with_values else None)

    _FOR_INSTANCE = select(Task).where(Task.instance_id == bindparam("instance_id")).order_by(Task.created_at, Task.id)
    _FOR_INSTANCE_IN_STATES = _FOR_INSTANCE.where(Task.state.in_(bindparam("states", expanding=True)))

    def for_instance(self, instance_id: int, states: Sequence[str] | None = None) -> list[Task]:
        if states:
            return list(self.s.scalars(self._FOR_INSTANCE_IN_STATES,
                                       {"instance_id": instance_id, "states": list(states)}))
        return list(self.s.scalars(self._FOR_INSTANCE, {"instance_id": instance_id}))

    def inbox(self, *, user: str, groups: Iterable[str], every_group: bool = False,
              instance_id: int | None = None, process_id: str | None = None, lane: str | None = None,
              room: str | None = None, overdue_at: datetime | None = None, limit: int = 500,
              after: InboxKey | None = None, unassigned: bool = False) -> list[Task]:
        """Ready tasks assigned to ``user`` or offered to one of ``groups`` (all when every_group),
        most urgent first: due soonest, tasks without a due time last; ``after``: only those after
        that row in this order (keyset paging: the next page starts where the last one ended, so it
        neither slows with depth like OFFSET nor skips or repeats a row when an earlier one is done).

        The order is walked in two segments, the tasks with a due time and then those without, each a
        range scan of the partial index ``ix_task_ready_queue`` (ready rows only, ordered
        due_at, created_at, id, with the filtered columns in it). Within a segment NULL sorts nowhere,
        so the plain ascending index order is the inbox order on SQLite (NULLs first in an index) and
        PostgreSQL (NULLs last) alike, and a row comparison ``(due_at, created_at, id) > cursor`` is an
        index bound on both; the second segment is read only when the first ends within ``limit``.
        Each segment first chooses ids from the index alone and stops at the limit; only the chosen
        rows are then read from the table. A user of one narrow group would otherwise fetch every
        ready row of the table to find a few (see bench/inbox.py)."""
        # 'ready' inline, not a bound parameter: only a literal lets SQLite (and PostgreSQL's generic
        # plan for a prepared statement) prove that the partial index covers the query
        q = select(Task.id).where(Task.state == literal_column("'ready'"))
        if not every_group:
            offered = select(TaskCandidate.task_id).where(TaskCandidate.group_id.in_(list(groups)))
            q = q.where(or_(Task.assignee == user, Task.id.in_(offered)))
        if unassigned:
            q = q.where(Task.assignee.is_(None), Task.candidate_groups == "")
        if instance_id is not None:
            q = q.where(Task.instance_id == instance_id)
        if process_id:
            q = q.where(Task.process_id == process_id)
        if lane:
            q = q.where(Task.lane == lane)
        if room:
            q = q.where(Task.room.contains(room, autoescape=True))
        if overdue_at is not None:
            q = q.where(Task.due_at < overdue_at)
        rows: list[Task] = []
        if after is None or after.due_at is not None:
            dated = q.where(Task.due_at.is_not(None))
            if after is not None:
                dated = dated.where(tuple_(Task.due_at, Task.created_at, Task.id) > tuple(after))
            rows += self._chosen(dated, limit)
        if len(rows) < limit and overdue_at is None:        # an undated task is never overdue
            undated = q.where(Task.due_at.is_(None))
            if after is not None and after.due_at is None:
                undated = undated.where(tuple_(Task.created_at, Task.id) > (after.created_at, after.id))
            rows += self._chosen(undated, limit - len(rows))
        return rows

    _ORDER = (Task.due_at, Task.created_at, Task.id)

    def _chosen(self, ids: Select[str], limit: int) -> list[Task]:
        chosen = ids.order_by(*self._ORDER).limit(limit).scalar_subquery()
        return list(self.s.scalars(select(Task).where(Task.id.in_(chosen)).order_by(*self._ORDER)))

    def inbox_counts(self, *, user: str, groups: Iterable[str], now: datetime) -> dict[str, int]:
        """How many ready tasks ``user`` sees, how many of them are overdue, how many are theirs:
        one aggregate query (the navigation asks on every page and every inbox refresh)."""
        offered = select(TaskCandidate.task_id).where(TaskCandidate.group_id.in_(list(groups)))
        q = (select(func.count(), func.count(case((Task.due_at < now, 1))),
                    func.count(case((Task.assignee == user, 1))))
             .where(Task.state == literal_column("'ready'"), or_(Task.assignee == user, Task.id.in_(offered))))
        total, overdue, mine = self.s.execute(q).one()
        return {"inbox": total, "overdue": overdue, "mine": mine}

    def counts_by_lane(self, groups: Iterable[str]) -> dict[str, int]:
        q = (select(TaskCandidate.group_id, func.count()).join(Task, Task.id == TaskCandidate.task_id)
             .where(TaskCandidate.group_id.in_(list(groups)), Task.state == "ready")
             .group_by(TaskCandidate.group_id))
        return dict(self.s.execute(q).all())


class ViolationRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, violation: Violation) -> Violation:
        self.s.add(violation)
        return violation

    def for_instance(self, instance_id: int) -> list[Violation]:
        return list(self.s.scalars(select(Violation).where(Violation.instance_id == instance_id)
                                   .order_by(Violation.at, Violation.id)))

    def between(self, start: datetime, end: datetime) -> list[Violation]:
        return list(self.s.scalars(select(Violation).where(Violation.at >= start, Violation.at < end)
                                   .order_by(Violation.at, Violation.id)))


class LetterRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, letter: Letter) -> Letter:
        self.s.add(letter)
        self.s.flush()
        return letter

    def next_seq(self, kind: str, year: int) -> int:
        """The next number of a kind in a year. Callers write inside a transaction that already holds
        the event chain's head row (every step appends events first), so two issuers cannot read the
        same maximum; the unique constraints are the backstop."""
        last = self.s.scalar(select(func.max(Letter.seq)).where(Letter.kind == kind, Letter.year == year))
        return (last or 0) + 1

    def get(self, letter_id: int) -> Letter | None:
        return self.s.get(Letter, letter_id)

    def by_number(self, number: str) -> Letter | None:
        return self.s.scalars(select(Letter).where(Letter.number == number)).first()

    def for_instance(self, instance_id: int) -> list[Letter]:
        return list(self.s.scalars(select(Letter).where(Letter.instance_id == instance_id)
                                   .order_by(Letter.issued_at, Letter.id)))

