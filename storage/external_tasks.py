"""The external-task queue: rows a step opens and closes, what a worker may fetch and lock, and the
topics each worker is given.

Fetching takes rows ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers racing for the same topic
each get other tasks and never wait on one another; on SQLite writers are serialised anyway."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import ExternalTask, User, WorkerTopic


class ExternalTaskRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, task_id: str) -> ExternalTask | None:
        return self.s.get(ExternalTask, task_id)

    def open_for(self, instance_id: int) -> list[ExternalTask]:
        return list(self.s.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id,
                                                              ExternalTask.state == "open")))

    def add(self, rows: Iterable[ExternalTask]) -> None:
        self.s.add_all(list(rows))

    def close(self, task_ids: Sequence[str], state: str, at: datetime, by: str | None) -> None:
        if task_ids:
            self.s.execute(update(ExternalTask).where(ExternalTask.id.in_(list(task_ids)))
                           .values(state=state, completed_at=at, completed_by=by, lock_expires_at=None),
                           execution_options={"synchronize_session": "fetch"})

    def fetchable(self, topics: Sequence[str], now: datetime, limit: int, *, skip_locked: bool,
                  lock: bool = True) -> list[ExternalTask]:
        """Open tasks of ``topics`` no live lock holds, not waiting out a retry timeout and not an
        incident (retries at 0), most urgent first; row-locked for the caller's transaction (unless
        ``lock`` is False: a look, in a read)."""
        q = (select(ExternalTask)
             .where(ExternalTask.state == "open", ExternalTask.topic.in_(list(topics)),
                    or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now),
                    or_(ExternalTask.not_before.is_(None), ExternalTask.not_before <= now),
                    or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0))
             .order_by(ExternalTask.priority.desc(), ExternalTask.created_at, ExternalTask.id).limit(limit)
             .execution_options(populate_existing=True))
        return list(self.s.scalars(q.with_for_update(skip_locked=skip_locked) if lock else q))

    def incidents(self) -> list[ExternalTask]:
        return list(self.s.scalars(select(ExternalTask).where(ExternalTask.state == "open", ExternalTask.retries == 0)
                                   .order_by(ExternalTask.created_at)))

    def locked(self, task_id: str) -> ExternalTask | None:
        """The row, locked for this transaction (complete, failure, extendLock, unlock)."""
        q = select(ExternalTask).where(ExternalTask.id == task_id).with_for_update()
        return self.s.scalars(q.execution_options(populate_existing=True)).first()

    def topics_of(self, user_name: str) -> set[str]:
        q = select(WorkerTopic.topic).join(User, User.id == WorkerTopic.user_id).where(User.name == user_name)
        return set(self.s.scalars(q))

    def grant(self, user: User, topics: Iterable[str]) -> None:
        self.s.execute(delete(WorkerTopic).where(WorkerTopic.user_id == user.id))
        self.s.add_all([WorkerTopic(user_id=user.id, topic=t) for t in dict.fromkeys(topics)])
