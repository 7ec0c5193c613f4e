"""Scheduled starts: one schedule per process whose version in force has a timer start event, and
one row per due moment the timer loop started (engine/usecases/scheduled_starts.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, UtcDateTime


class ProcessSchedule(Base):
    """The schedule of one process, held by the version in force (the newest deployed): deploying a
    new version moves the row to it, so the schedule goes on from where the old version left it.
    A sweeper claims a due row under a row lock (``FOR UPDATE SKIP LOCKED``)."""

    __tablename__ = "process_schedules"
    __table_args__ = (Index("ix_process_schedules_next_at", "next_at"),)

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    definition_id: Mapped[int] = mapped_column(BigId, ForeignKey("definitions.id"))
    element_id: Mapped[str] = mapped_column(String(200))       # the timer start event
    kind: Mapped[str] = mapped_column(String(16))              # timeDate | timeCycle
    text: Mapped[str] = mapped_column(String(500))             # as written in the BPMN
    catch_up: Mapped[str] = mapped_column(String(8))           # each | one
    anchor: Mapped[datetime] = mapped_column(UtcDateTime)      # deployed: a cycle without a start counts from it
    last_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)   # the newest moment started
    next_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)       # None: run out
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ScheduledStart(Base):
    """One due moment of a schedule, and the instance started for it (None: skipped, caught up by a
    later one). Unique per process and moment: no moment is ever started twice."""

    __tablename__ = "scheduled_starts"
    __table_args__ = (UniqueConstraint("process_id", "due_at", name="uq_scheduled_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    definition_id: Mapped[int] = mapped_column(BigId, ForeignKey("definitions.id"))
    instance_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("instances.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    skipped: Mapped[int] = mapped_column(Integer, default=0)   # older moments this start caught up for
