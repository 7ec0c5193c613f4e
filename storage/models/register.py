"""The owner and room register."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigId, UtcDateTime


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
