"""Users, groups, API tokens and sign-in attempts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigId, UtcDateTime


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
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")     # a work phone (migration 0021)
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
