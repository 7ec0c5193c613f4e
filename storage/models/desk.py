"""The service desk's tables (issue 11): the search text of each instance, and the files attached
to its tasks (photos, PDFs).

``instance_search`` holds one row per instance: the words the desk searches by (the room, the
case's who and what as the process's BPMN lists them, phone digits), rewritten in the same
transaction as every step. The instance's own ``data`` is JSON with Chinese escaped, which no
substring index can read. The migration adds what each database searches it with: on SQLite an
FTS5 table with the trigram tokenizer (``instance_search_fts``, kept by triggers), on PostgreSQL a
pg_trgm GIN index. Neither is a model: ``UNMODELLED`` names them for the schema comparison."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, UtcDateTime

FTS_TABLE = "instance_search_fts"
TRGM_INDEX = "ix_instance_search_trgm"


def unmodelled(name: str | None) -> bool:
    """The search index objects the migration makes by hand (FTS5 and its shadow tables, the GIN index)."""
    return bool(name) and (str(name).startswith(FTS_TABLE) or name == TRGM_INDEX)


class InstanceSearch(Base):
    __tablename__ = "instance_search"

    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class Attachment(Base):
    """A file attached to a task: a photo (re-encoded, GPS removed) or a PDF, kept in the file store
    under its content hash, which the ``attachment_added`` event also carries."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachment_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task_title: Mapped[str] = mapped_column(String(300), default="")
    name: Mapped[str] = mapped_column(String(200))                 # the file name as uploaded (shown only)
    content_type: Mapped[str] = mapped_column(String(64))          # image/jpeg | image/png | application/pdf
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))                # of the stored bytes
    original_sha256: Mapped[str] = mapped_column(String(64))       # of the bytes as uploaded
    thumb_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    taken_at: Mapped[str | None] = mapped_column(String(32), nullable=True)   # EXIF DateTimeOriginal, as written
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
