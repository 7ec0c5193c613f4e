"""The owner and room register: import a sheet (preview first, then all or nothing), look a room
up, list and edit rooms. Owners' names and phones are personal data (PIPL): lists and lookups show
phones masked; the full number goes only to someone taking the owner's case (a start form filled
from the register), and each such view is an event in the audit chain."""
from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from engine.clock import SHANGHAI, Clock
from engine.errors import BadInput, ErrorJson, NotFound, NotPermitted
from engine.rules.case import mask_phone
from engine.rules.permissions import Actor, may_start
from engine.rules.register_file import PersonRow, RegisterFile, read_register, read_room_form, room_problem
from engine.usecases.runner import reads, writes
from storage.models import Room, RoomPerson
from storage.uow import UnitOfWork

KEEPERS = frozenset({"admin", "cs_supervisor"})       # who imports and edits the register


class ImportRefused(BadInput):
    """A sheet with problems: every one by line and column; nothing was stored."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message, fields={"file": {"key": "register.rows", "message": message}})
        self.rows = rows

    def to_json(self) -> ErrorJson:
        out = super().to_json()
        out["rows"] = self.rows
        return out


def may_keep_register(actor: Actor) -> None:
    if not actor.groups & KEEPERS:
        raise NotPermitted("只有系统管理员和客服主管可以导入或修改业主房屋登记 (admin or cs_supervisor only)")


def _today(clock: Clock) -> date:
    return clock.now().astimezone(SHANGHAI).date()


def _rooms_of(sheet: RegisterFile) -> dict[str, list[PersonRow]]:
    rooms: dict[str, list[PersonRow]] = {}
    for row in sheet.rows:
        rooms.setdefault(row.room, []).append(row)
    return rooms


def _preview_json(uow: UnitOfWork, sheet: RegisterFile) -> dict[str, Any]:
    rooms = _rooms_of(sheet)
    known = uow.register.existing(rooms)
    return {"kind": sheet.kind, "errors": sheet.errors,
            "counts": {"rows": len(sheet.rows) + len({e["row"] for e in sheet.errors}), "rooms": len(rooms),
                       "people": len(sheet.rows), "new_rooms": len(set(rooms) - known),
                       "updated_rooms": len(set(rooms) & known), "errors": len(sheet.errors)},
            "rows": [{"line": r.line, "room": r.room, "kind": r.kind, "name": r.name,
                      "phones": [mask_phone(p) for p in r.phones], "handover_date": _iso(r.handover_date),
                      "move_in_date": _iso(r.move_in_date), "area": r.area, "new": r.room not in known}
                     for r in sheet.rows[:500]]}


@reads
def preview_register(uow: UnitOfWork, *, actor: Actor, clock: Clock, content: bytes) -> dict[str, Any]:
    """What importing ``content`` would do, and every problem it has; nothing is written."""
    may_keep_register(actor)
    return _preview_json(uow, read_register(content, today=_today(clock)))


@writes
def import_register(uow: UnitOfWork, *, actor: Actor, clock: Clock, content: bytes) -> dict[str, Any]:
    """Every room of the sheet written (its people replaced by the sheet's), or nothing when any row
    has a problem (``ImportRefused``). The event records the file's hash, so the audit covers it."""
    may_keep_register(actor)
    sheet = read_register(content, today=_today(clock))
    if sheet.errors:
        n = len(sheet.errors)
        raise ImportRefused(f"有 {n} 处错误，未导入任何数据 ({n} problems; nothing imported)", sheet.errors)
    if not sheet.rows:
        raise BadInput("文件中没有数据行 (no rows)", fields={"file": {"key": "file.rows"}})
    preview = _preview_json(uow, sheet)
    now = clock.now()
    grouped = _rooms_of(sheet)
    known = uow.register.rooms(grouped)
    for code, rows in grouped.items():
        first = rows[0]
        room = known.get(code) or uow.register.add(Room(code=code))
        room.building, room.unit, room.area, room.handover_date = first.building, first.unit, first.area, \
            first.handover_date
        room.updated_at, room.updated_by = now, actor.name
    uow.session.flush()
    uow.register.replace_all_people({code: [RoomPerson(kind=r.kind, name=r.name, phones=",".join(r.phones),
                                                       move_in_date=r.move_in_date) for r in rows]
                                     for code, rows in grouped.items()})
    counts = {k: preview["counts"][k] for k in ("rooms", "people", "new_rooms", "updated_rooms")}
    uow.events.append(type="register_imported", actor=actor.name, at=now,
                      data={"sha256": hashlib.sha256(content).hexdigest(), "kind": sheet.kind, **counts})
    return {"imported": counts, "kind": sheet.kind}


@writes
def save_room(uow: UnitOfWork, *, actor: Actor, clock: Clock, room: str, handover_date: str, area: str,
              people: list[dict[str, str]]) -> dict[str, Any]:
    """A room added or changed in the browser: every problem at once, by person and field, else saved."""
    may_keep_register(actor)
    code = (room or "").strip()
    form = read_room_form(code, handover_date, area, people, today=_today(clock))
    if form.errors:
        raise ImportRefused(f"有 {len(form.errors)} 处需要修改 ({len(form.errors)} problems)", form.errors)
    first = form.rows[0]
    found = uow.register.get(code)
    added = found is None
    found = found or uow.register.add(Room(code=code))
    found.building, found.unit, found.area, found.handover_date = first.building, first.unit, first.area, \
        first.handover_date
    found.updated_at, found.updated_by = clock.now(), actor.name
    uow.session.flush()
    uow.register.replace_people(found, [RoomPerson(kind=r.kind, name=r.name, phones=",".join(r.phones),
                                                   move_in_date=r.move_in_date) for r in form.rows])
    uow.events.append(type="register_room_saved", actor=actor.name, at=clock.now(),
                      data={"room": code, "added": added, "people": len(form.rows)})
    return room_json(found, full=False)


def room_json(room: Room, *, full: bool) -> dict[str, Any]:
    return {"room": room.code, "building": room.building, "unit": room.unit,
            "area": float(room.area) if room.area is not None else None,
            "handover_date": _iso(room.handover_date),
            "people": [{"kind": p.kind, "name": p.name,
                        "phones": [q if full else mask_phone(q) for q in p.phones.split(",") if q],
                        "move_in_date": _iso(p.move_in_date)} for p in room.people],
            "masked": not full}


def _room(uow: UnitOfWork, code: str) -> Room:
    code = (code or "").strip()
    problem = room_problem(code)
    if problem:
        raise BadInput(problem, fields={"room": {"key": "register.room_format", "message": problem}})
    room = uow.register.get(code)
    if room is None:
        raise NotFound(f"登记册中没有房号 {code} (no such room in the register)")
    return room


@reads
def show_room(uow: UnitOfWork, *, actor: Actor, clock: Clock, room: str) -> dict[str, Any]:
    """A room and its people, phones masked (any member of staff may look a room up)."""
    if not actor.working_groups and not actor.is_auditor:
        raise NotPermitted("无权查看业主登记 (staff only)")
    return room_json(_room(uow, room), full=False)


@writes
def room_for_start(uow: UnitOfWork, *, actor: Actor, clock: Clock, room: str, process_id: str) -> dict[str, Any]:
    """A room with its people in full, for the start form of a process the actor may start (they are
    taking the owner's case); the view is recorded as an event."""
    definition = uow.definitions.latest("bpmn", process_id)
    if definition is None:
        raise NotFound(f"没有此流程 (no process {process_id!r})")
    may_start(actor, definition.meta)
    found = _room(uow, room)
    uow.events.append(type="owner_data_viewed", actor=actor.name, at=clock.now(),
                      data={"room": found.code, "process": process_id, "why": "start_form"})
    return room_json(found, full=True)


@reads
def register_summary(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """For the pages that change the register (its keepers only): how many rooms it holds."""
    may_keep_register(actor)
    return {"total": uow.register.count(), "buildings": uow.register.buildings()}


@writes
def room_for_edit(uow: UnitOfWork, *, actor: Actor, clock: Clock, room: str) -> dict[str, Any]:
    """A room in full for its keeper to correct; the view is recorded like any full view."""
    may_keep_register(actor)
    found = _room(uow, room)
    uow.events.append(type="owner_data_viewed", actor=actor.name, at=clock.now(),
                      data={"room": found.code, "why": "register_edit"})
    return room_json(found, full=True)


@reads
def list_rooms(uow: UnitOfWork, *, actor: Actor, clock: Clock, q: str | None = None,
               building: int | None = None) -> dict[str, Any]:
    if not actor.working_groups and not actor.is_auditor:
        raise NotPermitted("无权查看业主登记 (staff only)")
    rooms = uow.register.listing(building=building, text=(q or "").strip() or None)
    return {"rooms": [room_json(r, full=False) for r in rooms], "buildings": uow.register.buildings(),
            "total": uow.register.count()}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None
