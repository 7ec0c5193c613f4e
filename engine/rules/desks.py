"""Move-in desks (办理组): which front-desk group does the move-in paperwork for which building.

Why: M0 业主办理入住标准规程 4.3 splits the move-in staff into three groups, "每组负责各自对应楼号
的入住办理工作". Which buildings a group serves changes with every phase of handovers, so it is
configuration (``processes/move_in_desks.json``, or the file named by ``WUYE_MOVE_IN_DESKS``), not
BPMN. The process reads it through two expression functions, registered in engine/rules/functions.py, so
the routing runs inside the engine, at the step where the BPMN asks for it, and is recorded in the
instance's data (``desk_group``) like any other script result:

    desk_group = move_in_desk(building)          # e.g. 'desk_2'
    desk_name = move_in_desk_name(desk_group)    # e.g. '第二组（7–12号楼）'

The file is read again when it changes (mtime), so an edit needs no restart; a bad file, or a
building no desk serves, raises ValueError naming the file and the building, which the engine
reports as a failed step (the start is refused with that message; nothing is stored).

Format::

    {"desks": {"desk_1": {"name": "第一组", "buildings": [1, 2, "3-6"]}, ...}}

``buildings`` lists building numbers and inclusive ranges "a-b"; a building belongs to at most one
desk. An optional ``"default": "desk_id"`` serves every building not listed."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from engine.rules.penalties import PROCESSES_DIR

__all__ = ["Desk", "DeskTable", "desk_table", "desk_table_from", "desks_path", "load_desks", "move_in_desk",
           "move_in_desk_name", "parse_buildings"]

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_RANGE = re.compile(r"^\s*(\d{1,4})\s*-\s*(\d{1,4})\s*$")
_MAX_BUILDING = 9999


@dataclass(frozen=True)
class Desk:
    id: str
    name: str
    buildings: frozenset[int]


@dataclass(frozen=True)
class DeskTable:
    desks: dict[str, Desk]
    default: str | None
    source: str

    def for_building(self, building: object) -> Desk:
        """The desk serving ``building`` (a whole number); ValueError if none does."""
        number = _building_number(building)
        for desk in self.desks.values():
            if number in desk.buildings:
                return desk
        if self.default is not None:
            return self.desks[self.default]
        raise ValueError(f"{number}号楼没有对应的入住办理组 (no move-in desk serves building {number}; "
                         f"see {self.source})")


def desks_path() -> Path:
    return Path(os.environ.get("WUYE_MOVE_IN_DESKS") or PROCESSES_DIR / "move_in_desks.json")


def _building_number(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"楼号必须是整数 (building must be a whole number, got {value!r})")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= _MAX_BUILDING:
        raise ValueError(f"楼号必须是 1–{_MAX_BUILDING} 的整数 (building must be a whole number "
                         f"1–{_MAX_BUILDING}, got {value!r})")
    return value


def parse_buildings(items: object, where: str) -> frozenset[int]:
    """The building numbers a desk's ``buildings`` list names (numbers and inclusive 'a-b' ranges)."""
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: 至少写一个楼号或区间 (buildings must be a non-empty list of numbers and "
                         "'a-b' ranges)")
    out: set[int] = set()
    for item in items:
        m = _RANGE.match(item) if isinstance(item, str) else None
        if m:
            low, high = int(m.group(1)), int(m.group(2))
            if not 1 <= low <= high <= _MAX_BUILDING:
                raise ValueError(f"{where}: 区间 {item!r} 不对，应为 起-止 且起不大于止 (bad range {item!r})")
            out.update(range(low, high + 1))
        else:
            try:
                out.add(_building_number(item))
            except ValueError:
                raise ValueError(f"{where}: {item!r} 既不是楼号也不是 起-止 区间 ({item!r} is neither a building "
                                 "number nor an 'a-b' range)") from None
    return frozenset(out)


def load_desks(text: str, source: str = "move_in_desks.json") -> DeskTable:
    """Parse and check a desk table; ValueError names the file and the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{source}: not valid JSON ({e})") from None
    return desk_table_from(data, source)


def desk_table_from(data: object, source: str) -> DeskTable:
    """A desk table from the file's JSON (as parsed, or as the database's rows join into it)."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: 应为 JSON 对象 (expected a JSON object)")
    raw = data.get("desks")
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{source}: needs a non-empty object \"desks\": {{desk id: {{name, buildings}}}}")
    desks: dict[str, Desk] = {}
    owner: dict[int, str] = {}
    for desk_id, entry in raw.items():
        where = f"{source}: desk {desk_id!r}"
        if not _ID.match(desk_id):
            raise ValueError(f"{where}: the id must be an identifier (letters, digits, _)")
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise ValueError(f"{where}: needs a \"name\"")
        buildings = parse_buildings(entry.get("buildings"), where)
        for b in sorted(buildings):
            if b in owner:
                raise ValueError(f"{where}: building {b} is already served by desk {owner[b]!r}")
            owner[b] = desk_id
        desks[desk_id] = Desk(desk_id, entry["name"].strip(), buildings)
    default = data.get("default")
    if default is not None and default not in desks:
        raise ValueError(f"{source}: default {default!r} is not one of the desks ({', '.join(desks)})")
    return DeskTable(desks, default, source)


_cache: dict[str, tuple[int, DeskTable]] = {}


def desk_table(path: Path | None = None) -> DeskTable:
    """The current table, re-read when the file's mtime changes."""
    p = path or desks_path()
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        raise ValueError(f"入住办理组配置文件不存在 (the move-in desk file {p} is missing)") from None
    cached = _cache.get(str(p))
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_desks(p.read_text(encoding="utf-8"), p.name))
        _cache[str(p)] = cached
    return cached[1]


def move_in_desk(building: object, table: DeskTable | None = None) -> str:
    """Expression function: the id of the desk serving ``building`` (in ``table``, else the file's)."""
    return (table or desk_table()).for_building(building).id


def move_in_desk_name(desk_id: object, table: DeskTable | None = None) -> str:
    """Expression function: the Chinese name of a desk id."""
    table = table or desk_table()
    if not isinstance(desk_id, str) or desk_id not in table.desks:
        raise ValueError(f"没有此入住办理组 (no move-in desk {desk_id!r}; desks: {', '.join(table.desks)})")
    return table.desks[desk_id].name
