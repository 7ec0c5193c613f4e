"""The scheduled starts' repository (storage.models.schedule): the schedules, claimed by sweepers
under a row lock, and the moments started."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import ProcessSchedule, ScheduledStart


class ScheduleRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, process_id: str, *, for_update: bool = False) -> ProcessSchedule | None:
        query = select(ProcessSchedule).where(ProcessSchedule.process_id == process_id)
        if for_update:
            query = query.with_for_update()
        return self.s.scalar(query)

    def all(self) -> list[ProcessSchedule]:
        return list(self.s.scalars(select(ProcessSchedule).order_by(ProcessSchedule.process_id)))

    def put(self, schedule: ProcessSchedule) -> None:
        self.s.add(schedule)
        self.s.flush()

    def remove(self, process_id: str) -> None:
        self.s.execute(delete(ProcessSchedule).where(ProcessSchedule.process_id == process_id))

    def next_due(self) -> datetime | None:
        """The earliest moment any schedule is due (one index probe)."""
        found: datetime | None = self.s.scalar(select(func.min(ProcessSchedule.next_at)))
        return found

    def claim_due(self, now: datetime) -> ProcessSchedule | None:
        """The earliest schedule due strictly before ``now`` that no other transaction holds,
        row-locked until this transaction ends (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, re-read
        under the lock; on SQLite the writing transaction holds the single write lock)."""
        process_id = self.s.scalar(select(ProcessSchedule.process_id).where(ProcessSchedule.next_at < now)
                                   .order_by(ProcessSchedule.next_at).limit(1).with_for_update(skip_locked=True))
        if process_id is None:
            return None
        found = self.s.get(ProcessSchedule, process_id, populate_existing=True)
        return found if found is not None and found.next_at is not None and found.next_at < now else None

    def add_start(self, start: ScheduledStart) -> None:
        """Recorded before its instance starts; the unique (process, moment) refuses a second one."""
        self.s.add(start)
        self.s.flush()

    def starts(self, process_id: str | None = None) -> list[ScheduledStart]:
        query = select(ScheduledStart).order_by(ScheduledStart.process_id, ScheduledStart.due_at)
        if process_id is not None:
            query = query.where(ScheduledStart.process_id == process_id)
        return list(self.s.scalars(query))
