"""The business calendar: holidays and 调休 days by year, and their audited changes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


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
