"""The rule tables (penalties, move-in desks, the case library) as versioned rows.

A version of a table is immutable: its header (who deployed it, when, why, its content hash, where
it came from) and its rows, one database row per table row (a deadline's penalty, a desk, a
complaint category), each with its key and its fields as JSON in the format the seed file in
``processes/`` has. A new version is added, never an old one changed."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.models import Base, BigId, UtcDateTime


class RuleTableVersion(Base):
    """One deployed version of a rule table."""

    __tablename__ = "rule_table_versions"
    __table_args__ = (UniqueConstraint("table_name", "version", name="uq_rule_table_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(40))         # 'penalties' | 'move_in_desks' | 'case_library'
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))             # 'file' (seeded by init) | 'edit' (a person)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # the file's keys beside its rows
    deployed_by: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    comment: Mapped[str] = mapped_column(String(500), default="")
    rows: Mapped[list[RuleRow]] = relationship(order_by="RuleRow.position", lazy="selectin",
                                               cascade="all, delete-orphan")


class RuleRow(Base):
    """One row of one version: its key (deadline id, desk id, category id) and its fields."""

    __tablename__ = "rule_rows"

    version_id: Mapped[int] = mapped_column(ForeignKey("rule_table_versions.id", ondelete="CASCADE"),
                                            primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class RuleTableRepository:
    def __init__(self, session: Session):
        self.s = session

    def latest_versions(self) -> dict[str, int]:
        """table name -> its latest version number (one cheap query: what a step checks)."""
        rows = self.s.execute(select(RuleTableVersion.table_name, func.max(RuleTableVersion.version))
                              .group_by(RuleTableVersion.table_name))
        return {name: int(version) for name, version in rows}

    def version(self, table: str, version: int) -> RuleTableVersion | None:
        found: RuleTableVersion | None = self.s.scalar(select(RuleTableVersion).where(
            RuleTableVersion.table_name == table, RuleTableVersion.version == version))
        return found

    def latest(self, table: str) -> RuleTableVersion | None:
        found: RuleTableVersion | None = self.s.scalar(
            select(RuleTableVersion).where(RuleTableVersion.table_name == table)
            .order_by(RuleTableVersion.version.desc()).limit(1))
        return found

    def latest_from_file(self, table: str) -> RuleTableVersion | None:
        found: RuleTableVersion | None = self.s.scalar(
            select(RuleTableVersion).where(RuleTableVersion.table_name == table, RuleTableVersion.origin == "file")
            .order_by(RuleTableVersion.version.desc()).limit(1))
        return found

    def history(self, table: str) -> list[RuleTableVersion]:
        """Every version, oldest first (headers; rows load with them)."""
        return list(self.s.scalars(select(RuleTableVersion).where(RuleTableVersion.table_name == table)
                                   .order_by(RuleTableVersion.version)))

    def add(self, *, table: str, version: int, content_hash: str, origin: str, settings: dict[str, Any],
            rows: list[tuple[str, dict[str, Any]]], deployed_by: str, deployed_at: datetime,
            comment: str) -> RuleTableVersion:
        added = RuleTableVersion(table_name=table, version=version, content_hash=content_hash, origin=origin,
                                 settings=settings, deployed_by=deployed_by, deployed_at=deployed_at,
                                 comment=comment,
                                 rows=[RuleRow(position=i, key=k, data=d) for i, (k, d) in enumerate(rows)])
        self.s.add(added)
        return added
