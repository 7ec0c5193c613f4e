"""The event log and what makes it tamper-evident: the chain head, seals, the Merkle tree, signed checkpoints."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, UtcDateTime


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
