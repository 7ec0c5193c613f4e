"""The rows a workflow step reads and writes, through prepared statements (storage/prepared.py).

A step rewrites the task projection (open, update, close), the instance's row (state, status,
projections, next timer) and appends violations. Through the ORM every such write costs a flush
(change detection over the session, one statement per object, a version check per instance); here
each kind of write is one statement built once, with bound values, executed for all its rows at once.

The ORM objects the session already holds for these rows are kept consistent: an instance's new
column values are set as its committed state (so a later flush neither writes them again nor trips on
the version), and task objects the session holds are expired (read again if touched)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import bindparam, delete, insert, inspect, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.errors import ConcurrentUpdate
from storage.models import Base, Instance, Task, TaskCandidate, Violation
from storage.prepared import Prepared

_TASKS = Base.metadata.tables[Task.__tablename__]
_CANDIDATES = Base.metadata.tables[TaskCandidate.__tablename__]
_INSTANCES = Base.metadata.tables[Instance.__tablename__]
_VIOLATIONS = Base.metadata.tables[Violation.__tablename__]


@dataclass(slots=True)
class TaskRow:
    """One row of the task projection as a step reads and writes it: the columns of ``Task``, as a
    plain object (an ORM object costs several times more to make, and a step makes one per open task)."""
    id: str
    instance_id: int
    process_id: str
    name: str
    title: str
    lane: str | None
    candidate_groups: str
    assignee: str | None
    state: str
    room: str | None
    priority: int
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    values: dict[str, Any] | None = None


_COLUMNS = [f.name for f in fields(TaskRow)]
assert [c.name for c in _TASKS.c] == _COLUMNS, "TaskRow must have Task's columns, in order"


class StepRowRepository:
    # the state as a literal in the SQL, not a bound value: SQLite prepares a statement again on each
    # run when a bound value is compared with a column a partial index's WHERE names (ix_task_ready_queue)
    _OPEN = Prepared(select(_TASKS).where(_TASKS.c.instance_id == bindparam("instance_id"),
                                          _TASKS.c.state == literal_column("'ready'"))
                     .order_by(_TASKS.c.created_at, _TASKS.c.id))
    _COMPLETED = Prepared(select(_TASKS.c.completed_at, _TASKS.c.completed_by, _TASKS.c.created_at)
                          .where(_TASKS.c.instance_id == bindparam("instance_id"),
                                 _TASKS.c.state == literal_column("'completed'")))
    _INSERT_TASK = Prepared(insert(_TASKS))
    _INSERT_CANDIDATE = Prepared(insert(_CANDIDATES))
    _CLOSE = Prepared(update(_TASKS).where(_TASKS.c.id == bindparam("task_id"))
                      .values(state=bindparam("state"), completed_at=bindparam("at"), completed_by=bindparam("by")))
    _UNOFFER = Prepared(delete(_CANDIDATES).where(_CANDIDATES.c.task_id == bindparam("task_id")))
    _REFRESH = Prepared(update(_TASKS).where(_TASKS.c.id == bindparam("task_id")).values(
        assignee=bindparam("assignee"), due_at=bindparam("due_at"), values=bindparam("values")))
    _ASSIGN = Prepared(update(_TASKS).where(_TASKS.c.id == bindparam("task_id")).values(assignee=bindparam("assignee")))
    _INSERT_VIOLATION = insert(_VIOLATIONS)    # rare (a deadline broken): plain Core

    def __init__(self, session: Session):
        self.s = session

    def open_tasks(self, instance_id: int) -> list[TaskRow]:
        """The instance's ready task rows, oldest first."""
        return [TaskRow(*row) for row in self._OPEN.rows(self.s, {"instance_id": instance_id})]

    def completed_tasks(self, instance_id: int) -> list[tuple[datetime | None, str | None, datetime]]:
        """(completed_at, completed_by, created_at) of the instance's completed tasks."""
        return [(at, by, created) for at, by, created in self._COMPLETED.rows(self.s, {"instance_id": instance_id})]

    def open(self, tasks: Sequence[TaskRow], groups: Sequence[Sequence[str]]) -> None:
        """Newly ready tasks, each with the groups it is offered to."""
        if not tasks:
            return
        self._INSERT_TASK.execute_many(self.s, [_row(t) for t in tasks])
        self._INSERT_CANDIDATE.execute_many(self.s, [{"task_id": t.id, "group_id": g}
                                                     for t, gs in zip(tasks, groups, strict=True)
                                                     for g in dict.fromkeys(gs)])

    def close(self, closed: Sequence[tuple[str, str, datetime, str | None]]) -> None:
        """(task id, 'completed'|'cancelled', at, by): the tasks left the ready state. They stay as
        history, offered to no group any more."""
        if not closed:
            return
        self._CLOSE.execute_many(self.s, [{"task_id": i, "state": s, "at": at, "by": by} for i, s, at, by in closed])
        ids = [task_id for task_id, _, _, _ in closed]
        self._UNOFFER.execute_many(self.s, [{"task_id": task_id} for task_id in ids])
        self._expire(ids)

    def refresh(self, tasks: Iterable[TaskRow]) -> None:
        """Write the assignee, deadline and form values of tasks that stay open."""
        kept = list(tasks)
        if kept:
            self._REFRESH.execute_many(self.s, [{"task_id": t.id, "assignee": t.assignee, "due_at": t.due_at,
                                                 "values": t.values} for t in kept])
            self._expire([t.id for t in kept])

    def assign(self, task: TaskRow, user: str | None) -> None:
        """A ready task's holder: claimed, given back or assigned (the row is the only record of it)."""
        self._ASSIGN.execute(self.s, {"task_id": task.id, "assignee": user})
        task.assignee = user
        self._expire([task.id])

    def has_violation(self, instance_id: int, deadline_id: str) -> bool:
        """Whether the instance already carries a violation of ``deadline_id`` (a rule charged once
        per case, whichever of its timers fires first)."""
        found = self.s.execute(select(_VIOLATIONS.c.id).where(_VIOLATIONS.c.instance_id == instance_id,
                                                              _VIOLATIONS.c.deadline_id == deadline_id).limit(1))
        return found.first() is not None

    def add_violations(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.s.connection().execute(self._INSERT_VIOLATION, list(rows))

    SAVED = ("status", "state", "serializer_version", "next_timer_at", "updated_at", "ended_at", "error", "room",
             "data", "waiting", "diagram")
    # Columns an index names: set only when their value changes (most steps change none of them), so
    # the database need not rewrite those index entries (SQLite rewrites an index whose column the
    # UPDATE sets, whatever the value). One statement per set of columns written, built once.
    INDEXED = ("status", "next_timer_at", "room")
    _SAVES: ClassVar[dict[tuple[str, ...], Prepared]] = {}

    def save_instance(self, instance: Instance, values: dict[str, Any]) -> None:
        """Write ``values`` (every column of SAVED) to the instance's row if it is still at the
        version read, and raise that version; ConcurrentUpdate when another transaction changed the
        row first. An instance added in this transaction is written (by the ORM) first."""
        if inspect(instance).pending:
            self.s.flush()
        new_version = instance.version + 1
        written = tuple(k for k in self.SAVED if k not in self.INDEXED or values[k] != getattr(instance, k))
        params = {"w_id": instance.id, "w_version": instance.version, "v_version": new_version,
                  **{f"v_{k}": values[k] for k in written}}
        if self._save(written).execute(self.s, params) != 1:
            raise ConcurrentUpdate(f"instance {instance.id} changed since version {instance.version}")
        for key in self.SAVED:
            set_committed_value(instance, key, values[key])
        set_committed_value(instance, "version", new_version)

    @classmethod
    def _save(cls, columns: tuple[str, ...]) -> Prepared:
        found = cls._SAVES.get(columns)
        if found is None:
            found = cls._SAVES[columns] = Prepared(
                update(_INSTANCES)
                .where(_INSTANCES.c.id == bindparam("w_id"), _INSTANCES.c.version == bindparam("w_version"))
                .values(version=bindparam("v_version"), **{k: bindparam(f"v_{k}") for k in columns}))
        return found

    def _expire(self, task_ids: Iterable[str]) -> None:
        for task_id in task_ids:
            held = self.s.identity_map.get(self.s.identity_key(Task, task_id))
            if held is not None:
                self.s.expire(held)


def _row(task: TaskRow) -> dict[str, Any]:
    return {name: getattr(task, name) for name in _COLUMNS}
