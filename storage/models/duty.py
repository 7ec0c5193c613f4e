"""Who answers for a group (M1 第十七条: a person pays, not a group): each group's head (负责人)
and supervisor (主管), and the duty roster by shift (当班人员)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, UtcDateTime


class GroupLead(Base):
    """A group's head and supervisor, set in the admin pages (user names; either may be unset)."""

    __tablename__ = "group_leads"

    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    head: Mapped[str | None] = mapped_column(String(100), nullable=True)
    supervisor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DutyShift(Base):
    """One person on duty for a group from ``starts_at`` until ``ends_at`` (a shift of the roster)."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shift_group", "group_id", "starts_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    set_by: Mapped[str] = mapped_column(String(100))
