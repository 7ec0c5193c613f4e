"""The owner and room register's repository: rooms with their owners and tenants."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Room, RoomPerson


class RegisterRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, code: str) -> Room | None:
        return self.s.get(Room, code)

    def existing(self, codes: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(codes))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            found.update(self.s.scalars(select(Room.code).where(Room.code.in_(wanted[i:i + 500]))))
        return found

    def rooms(self, codes: Iterable[str]) -> dict[str, Room]:
        """code -> room, for those of ``codes`` the register holds (in batches of 500)."""
        wanted = list(dict.fromkeys(codes))
        out: dict[str, Room] = {}
        for i in range(0, len(wanted), 500):
            out.update((r.code, r) for r in self.s.scalars(select(Room).where(Room.code.in_(wanted[i:i + 500]))))
        return out

    def replace_all_people(self, people: dict[str, list[RoomPerson]]) -> None:
        """Each room's owners and tenants are exactly its list from now on: one delete per 500 rooms,
        one flush for all (an import of ten thousand rows is not ten thousand round trips)."""
        codes = list(people)
        for i in range(0, len(codes), 500):
            self.s.execute(delete(RoomPerson).where(RoomPerson.room_code.in_(codes[i:i + 500])))
        for code, persons in people.items():
            for position, p in enumerate(persons):
                p.room_code, p.position = code, position
                self.s.add(p)
        self.s.flush()
        for obj in list(self.s.identity_map.values()):
            if isinstance(obj, Room) and obj.code in people:
                self.s.expire(obj, ["people"])

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(Room)) or 0)

    def add(self, room: Room) -> Room:
        self.s.add(room)
        return room

    def replace_people(self, room: Room, people: list[RoomPerson]) -> None:
        """The room's owners and tenants are exactly ``people`` from now on."""
        if room.code:
            self.s.execute(delete(RoomPerson).where(RoomPerson.room_code == room.code))
            self.s.expire(room, ["people"])
        for i, p in enumerate(people):
            p.room_code, p.position = room.code, i
            self.s.add(p)
        self.s.flush()

    def listing(self, *, building: int | None = None, text: str | None = None, limit: int = 200) -> list[Room]:
        """Rooms in code order, of one building, or whose code or a person's name contains ``text``."""
        q = select(Room)
        if building is not None:
            q = q.where(Room.building == building)
        if text:
            like = f"%{text}%"
            q = q.where(or_(Room.code.like(like),
                            Room.code.in_(select(RoomPerson.room_code).where(
                                or_(RoomPerson.name.like(like), RoomPerson.phones.like(like))))))
        return list(self.s.scalars(q.order_by(Room.building, Room.unit, Room.code).limit(limit)))

    def buildings(self) -> list[tuple[int, int, int]]:
        """(building, units, rooms) of every building in the register."""
        rows = self.s.execute(select(Room.building, func.count(func.distinct(Room.unit)), func.count())
                              .group_by(Room.building).order_by(Room.building))
        return [(b, u, n) for b, u, n in rows.all()]
