"""Settings kept in the database (key and value)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class Setting(Base):
    """A fact about this database as a whole, set once (e.g. ``simulation``: made by
    `wuye init --simulation`, so that a clock earlier than today's is allowed)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
