"""The relational schema: definitions, instances, the task and timer projections, the event log,
violations, users and groups.

The SpiffWorkflow state in ``instances.state`` is the source of truth for a running instance; the
``tasks`` rows and ``instances.next_timer_at`` are projections rewritten in the same transaction so
that the inbox and the timer sweep can query by index instead of loading workflows.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# SQLite wants INTEGER PRIMARY KEY for its rowid alias; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no offset) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


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


class Event(Base):
    """Append-only, hash-chained history. Nothing updates or deletes a row."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_event_instance_seq", "instance_id", "seq"),
                      Index("ix_event_type_at", "type", "at"))

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    instance_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The single row holding the last event's seq and hash: locked by every appender, so two
    transactions can never both extend the chain from the same event, and it reveals a deleted tail."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class ChainSeal(Base):
    """The chain head (seq, hash) as it was at a moment, as a note signed with the audit key kept
    outside the database (engine.usecases.seals): whoever rewrites the chain or cuts its tail cannot
    make a seal that still verifies."""

    __tablename__ = "chain_seals"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text)


class Setting(Base):
    """A fact about this database as a whole, set once (e.g. ``simulation``: made by
    `wuye init --simulation`, so that a clock earlier than today's is allowed)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MerkleNode(Base):
    """A stored node of the Merkle tree over the events (storage/merkle.py): the root of the
    perfect subtree of leaves [idx·2^level, (idx+1)·2^level), for level >= merkle.BLOCK_LEVEL."""

    __tablename__ = "merkle_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed tree head: the log's size and Merkle root at a moment, and the signed note given to
    whoever holds it (C2SP tlog-checkpoint). Kept here to show the last one; what proves anything
    is the copy outside the database."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    made_by: Mapped[str] = mapped_column(String(100))
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)   # who was given it, if said


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


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class UserGroup(Base):
    __tablename__ = "user_groups"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # One more at every sign-out, password change and disabling: a session cookie carries the
    # generation it was made in and is refused once it is no longer the user's (migration 0011).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    groups: Mapped[list[Group]] = relationship(secondary="user_groups", lazy="joined")

    @property
    def group_ids(self) -> set[str]:
        return {g.id for g in self.groups}


class ApiToken(Base):
    """Bearer tokens for the JSON API; only the sha-256 of the token is stored."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LoginAttempt(Base):
    """Sign-in attempts counted against the rate limit, one row per key (a digest of the user name
    and the address, or of the address alone) and window: kept in the database, so the limit holds
    across every server process, and counted before the password is hashed."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempt_window", "window_start"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


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


class Room(Base):
    """One room of the owner and room register (楼-单元-房, e.g. ``3-2-1102``), imported from the
    company's CSV/Excel sheet or edited by a supervisor; its building and unit are the code's parts."""

    __tablename__ = "rooms"
    __table_args__ = (Index("ix_room_building", "building", "unit"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    building: Mapped[int] = mapped_column(Integer)
    unit: Mapped[int] = mapped_column(Integer)
    area: Mapped[float | None] = mapped_column(Numeric(10, 2), nullable=True)      # 建筑面积, m²
    handover_date: Mapped[date | None] = mapped_column(Date, nullable=True)        # 交房日期
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    people: Mapped[list[RoomPerson]] = relationship(back_populates="room", cascade="all, delete-orphan",
                                                    order_by="RoomPerson.position", lazy="selectin")


class RoomPerson(Base):
    """An owner or tenant of a room: personal data (PIPL), shown masked outside the cases they are in."""

    __tablename__ = "room_people"
    __table_args__ = (Index("ix_room_people_room", "room_code"), Index("ix_room_people_name", "name"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_code: Mapped[str] = mapped_column(ForeignKey("rooms.code", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))            # owner | tenant
    name: Mapped[str] = mapped_column(String(50))
    phones: Mapped[str] = mapped_column(String(100))        # comma separated
    move_in_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    room: Mapped[Room] = relationship(back_populates="people")


class CalendarDay(Base):
    """A day the business calendar names (storage/calendar.py): a statutory holiday, or a weekend
    day made a working day (调休). Every other day of a year in ``calendar_years`` is an ordinary
    day (Monday–Friday working)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # "holiday" | "workday"
    name: Mapped[str] = mapped_column(String(100), default="")
    version: Mapped[int] = mapped_column(Integer)           # the calendar change that set it


class CalendarYear(Base):
    """A year the calendar holds official data for (the State Council's notice, or chinese-calendar
    for the years it covers): days of a year missing here are estimated as Monday–Friday."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)


class CalendarChange(Base):
    """One saved change of the calendar (a version): who, when, which years, why. Audited in the
    event chain as ``calendar_changed`` too."""

    __tablename__ = "calendar_changes"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(String(500), default="")
    years: Mapped[list[int]] = mapped_column(JSON)
    days: Mapped[int] = mapped_column(Integer)
