"""Definitions, instances and their projections: the task rows (the inbox), violations and letters.

The SpiffWorkflow state in ``instances.state`` is the source of truth for a running instance; the
``tasks`` rows and ``instances.next_timer_at`` are projections rewritten in the same transaction so
that the inbox and the timer sweep can query by index instead of loading workflows."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigId, UtcDateTime


class Definition(Base):
    """One immutable deployed version of a BPMN process or a DMN decision."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("kind", "key", "version", name="uq_definition_version"),
                      Index("ix_definition_key_hash", "kind", "key", "content_hash"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))           # 'bpmn' | 'dmn'
    key: Mapped[str] = mapped_column(String(200))          # process id or decision id
    name: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300))
    # large and rarely needed (the spec is cached once restored): loaded on first access only
    source: Mapped[str] = mapped_column(Text, deferred=True)            # the file exactly as deployed
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)  # serialized Spiff spec
    # lanes, groups, forms, properties: read through ``meta`` (below), decoded once per process
    stored_meta: Mapped[dict[str, Any]] = mapped_column("meta", JSON, default=dict, deferred=True)
    deployed_by: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    comment: Mapped[str] = mapped_column(String(500), default="", server_default="")   # why it was deployed

    def __init__(self, *, meta: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if meta is not None:
            self.stored_meta = meta

    @property
    def meta(self) -> dict[str, Any]:
        """The definition's metadata. A version is immutable, so its decoded metadata is kept per
        process, keyed by (id, content hash): a complaint's is ~90 KB of JSON, and every step and page
        of one of its instances reads it. The dict is shared: read it, never change it."""
        key = (self.id, self.content_hash)
        meta = _METAS.get(key)
        if meta is None:
            meta = self.stored_meta
            if self.id is not None:
                if len(_METAS) >= 1024:
                    _METAS.clear()
                _METAS[key] = meta
        return meta


_METAS: dict[tuple[int, str], dict[str, Any]] = {}


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (Index("ix_instance_next_timer", "next_timer_at"),
                      Index("ix_instance_process_status", "process_id", "status"),
                      Index("ix_instance_room", "room"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))        # running|completed|cancelled|error
    # SpiffWorkflow JSON without the spec: read only when a step loads the workflow (a cached one
    # is not read again), so listing and showing instances never fetch it
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    room: Mapped[str | None] = mapped_column(String(64), nullable=True)
    business_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)     # the open incident, if any
    retries: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # read projections the step rewrites with the state, so pages show an instance without loading
    # its workflow: the process data (JSON-safe), what it waits for (timers with due times,
    # messages), and each diagram element's state ('completed' / 'active' / 'waiting')
    # (one deferred group: a page that shows one reads all three in one statement)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True,
                                                        deferred_group="projections")
    waiting: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True, deferred=True,
                                                                 deferred_group="projections")
    diagram: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True,
                                                           deferred_group="projections")

    definition: Mapped[Definition] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 -- SQLAlchemy's declarative hook, read once


class Task(Base):
    """Projection of one user task of an instance (ready, completed or cancelled)."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_task_lane_state", "lane", "state", "created_at"),
                      Index("ix_task_assignee_state", "assignee", "state"),
                      Index("ix_task_instance", "instance_id", "state"),
                      Index("ix_task_state_due", "state", "due_at"),
                      # the inbox's queue: ready rows only (a few % of the table), in inbox order, with
                      # the columns its filters test, so choosing the page reads this index alone
                      Index("ix_task_ready_queue", "due_at", "created_at", "id", "assignee", "process_id", "lane",
                            "room", postgresql_where=text("state = 'ready'"), sqlite_where=text("state = 'ready'")))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)      # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))         # BPMN element id
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(64), nullable=True)
    candidate_groups: Mapped[str] = mapped_column(String(500), default="")   # comma separated
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    state: Mapped[str] = mapped_column(String(16))         # ready|completed|cancelled
    room: Mapped[str | None] = mapped_column(String(64), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # the task's own data while it is ready (JSON-safe): the form page's current values
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)


class TaskCandidate(Base):
    """One row per (ready task, group allowed to work on it): the inbox joins through this."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidate_group", "group_id", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Violation(Base):
    """A breached deadline: who was responsible and the penalty the rules attach to it."""

    __tablename__ = "violations"
    __table_args__ = (Index("ix_violation_at", "at"), Index("ix_violation_instance", "instance_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(200))
    deadline_id: Mapped[str] = mapped_column(String(32))
    element_id: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    responsible: Mapped[str] = mapped_column(String(100))  # user name, else the lane's group id
    responsible_kind: Mapped[str] = mapped_column(String(8))  # 'user' | 'group'
    amount: Mapped[float] = mapped_column(Numeric(10, 2), default=0)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(String(500), default="")


class Letter(Base):
    """One collection letter as issued (提示函, 催缴函, 紧急催缴函, 律师函): the rendered HTML exactly as
    handed to the owner, and its sha-256, which the ``letter_issued`` event also carries (the hash
    chain then proves what was sent, and when: the evidence of 催告)."""

    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("number", name="uq_letter_number"),
                      UniqueConstraint("kind", "year", "seq", name="uq_letter_kind_year_seq"),
                      Index("ix_letter_instance", "instance_id", "issued_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))          # reminder|demand|urgent|lawyer
    number: Mapped[str] = mapped_column(String(32))        # e.g. CJ-2026-000123
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)              # per kind and year, from 1
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(100))
    html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
