"""External tasks (Camunda 7's /external-task) and the topics a worker may fetch."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class ExternalTask(Base):
    """Projection of one external task (a service or send task a worker outside wuye does), in the
    shape of Camunda 7's: open until completed (or cancelled with its instance), locked by one worker
    until ``lock_expires_at``; ``retries`` at 0 after a failure is an incident an admin resolves."""

    __tablename__ = "external_tasks"
    __table_args__ = (Index("ix_external_task_queue", "state", "topic", "priority", "created_at"),
                      Index("ix_external_task_instance", "instance_id", "state"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)      # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(200))
    activity_id: Mapped[str] = mapped_column(String(200))  # BPMN element id
    topic: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))         # open|completed|cancelled
    priority: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)   # the worker's user
    lock_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    retries: Mapped[int | None] = mapped_column(Integer, nullable=True)         # None: never failed
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # a failure's retryTimeout
    error_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)    # the task's data when created
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class WorkerTopic(Base):
    """The topics a user of the ``worker`` group may fetch and lock."""

    __tablename__ = "worker_topics"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
