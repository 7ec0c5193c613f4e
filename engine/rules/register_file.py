"""Reading the owner and room register from the company's sheet: CSV (UTF-8, or GB18030 as Excel
in China saves it) or Excel .xlsx (openpyxl), told apart by content, not by name.

The header row names the columns (any order): ``room,building,unit,owner_name,phone,handover_date``
are required, ``move_in_date``, ``area`` and ``kind`` (owner/tenant, 业主/租户) optional. One row per
person; a room with two owners has two rows, which must agree on the room's own columns. Every
problem is reported with its line (the header is line 1) and column, and a file with any problem
imports nothing."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.errors import BadInput

REQUIRED = ("room", "building", "unit", "owner_name", "phone", "handover_date")
OPTIONAL = ("move_in_date", "area", "kind")
MAX_BYTES = 1536 * 1024          # under the app's 2 MiB request limit, with room for the form around it
MAX_ROWS = 10_000
ROOM = re.compile(r"(\d{1,3})-(\d{1,2})-(\d{1,5})")
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"(0\d{2,3}-?)?\d{7,8}")
PHONE_SEPARATORS = re.compile(r"[/;；,，、\s]+")
KINDS = {"owner": "owner", "业主": "owner", "tenant": "tenant", "租户": "tenant", "": "owner"}
ROOM_HINT = "房号应写作 楼-单元-房，如 3-2-1102"


# what a start form may take from the register (``register:fill`` = "form_field=source,...")
FILL_SOURCES = ("owner_name", "phone", "building", "unit", "handover_date", "move_in_date", "area")


def start_lookup(properties: dict[str, str]) -> dict[str, Any]:
    """A process's ``register:room`` (the start form's room field, checked against the register) and
    ``register:fill`` (which fields a looked-up room fills in, from which of its columns)."""
    fill = {}
    for pair in (properties.get("register:fill") or "").split(","):
        target, _, source = pair.partition("=")
        if target.strip() and source.strip():
            fill[target.strip()] = source.strip()
    return {"room": (properties.get("register:room") or "").strip() or None, "fill": fill}


def lookup_problems(properties: dict[str, str]) -> list[str]:
    spec = start_lookup(properties)
    return [f"register:fill: {source!r} 不是登记册的列 (one of {', '.join(FILL_SOURCES)})"
            for source in spec["fill"].values() if source not in FILL_SOURCES]


@dataclass
class PersonRow:
    line: int
    room: str
    building: int
    unit: int
    name: str
    phones: list[str]
    kind: str
    handover_date: date | None
    move_in_date: date | None
    area: float | None


@dataclass
class RegisterFile:
    """What a sheet says: its rows (only the valid ones) and every problem, by line and column."""
    rows: list[PersonRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "csv"

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append({"row": line, "field": column, "message": message})


def room_problem(text: str) -> str | None:
    """Why ``text`` is no room code of the register's form, or None."""
    return None if ROOM.fullmatch(text.strip()) else f"{text.strip()!r} 不是有效的房号：{ROOM_HINT}"


def phone_problem(text: str) -> str | None:
    """Why ``text`` is no phone number (a mobile, or a landline with or without its area code)."""
    number = text.strip()
    if MOBILE.fullmatch(number) or LANDLINE.fullmatch(number):
        return None
    return f"{number!r} 不是有效的电话号码：手机为 11 位数字（如 13812345678），座机如 0571-88881234"


def split_phones(text: str) -> list[str]:
    return [p for p in PHONE_SEPARATORS.split(text.strip()) if p]


def read_register(content: bytes, *, today: date) -> RegisterFile:
    """The sheet's rows and problems. BadInput only when the file as a whole cannot be read."""
    if len(content) > MAX_BYTES:
        raise BadInput(f"文件超过 {MAX_BYTES // 1024} KB，请分批导入 (file too large)",
                       fields={"file": {"key": "file.size"}})
    if not content.strip():
        raise BadInput("文件是空的 (empty file)", fields={"file": {"key": "file.empty"}})
    is_xlsx = content[:4] == b"PK\x03\x04"
    table = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    out = RegisterFile(kind="xlsx" if is_xlsx else "csv")
    if not table:
        raise BadInput("文件中没有表头行 (no header row)", fields={"file": {"key": "file.header"}})
    header = [_text(h).lower() for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in REQUIRED + OPTIONAL]
    if missing or unknown:
        parts = ([f"缺少列：{', '.join(missing)}"] if missing else []) + (
            [f"未知列：{', '.join(unknown)}"] if unknown else [])
        raise BadInput(f"表头有误（第 1 行）：{'；'.join(parts)}。"
                       f"表头应为 {','.join(REQUIRED)}，可选 {','.join(OPTIONAL)}",
                       fields={"file": {"key": "file.header", "message": "表头有误"}})
    if len(table) - 1 > MAX_ROWS:
        raise BadInput(f"超过 {MAX_ROWS} 行，请分批导入 (too many rows)", fields={"file": {"key": "file.rows"}})
    rooms: dict[str, PersonRow] = {}
    for line, cells in enumerate(table[1:], start=2):
        values = {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header) if h}
        if not any(_text(v) for v in values.values()):
            continue                                      # a blank line in the sheet
        row = _row(out, line, values, today)
        if row is None:
            continue
        first = rooms.setdefault(row.room, row)
        if first is not row:
            for column, mine, theirs in (("handover_date", row.handover_date, first.handover_date),
                                         ("area", row.area, first.area)):
                if mine != theirs and mine is not None:
                    out.error(line, column, f"同一房号 {row.room} 在第 {first.line} 行的{column}不同")
        out.rows.append(row)
    return out


def _row(out: RegisterFile, line: int, v: dict[str, Any], today: date) -> PersonRow | None:
    before = len(out.errors)
    room = _text(v.get("room"))
    match = ROOM.fullmatch(room)
    if not match:
        out.error(line, "room", f"{room!r} 不是有效的房号：{ROOM_HINT}" if room else "房号不能为空")
    building, unit = _int(out, line, "building", v.get("building")), _int(out, line, "unit", v.get("unit"))
    if match and building is not None and building != int(match.group(1)):
        out.error(line, "building", f"楼号 {building} 与房号 {room} 的楼号 {match.group(1)} 不符")
    if match and unit is not None and unit != int(match.group(2)):
        out.error(line, "unit", f"单元 {unit} 与房号 {room} 的单元 {match.group(2)} 不符")
    name = _text(v.get("owner_name"))
    if not name:
        out.error(line, "owner_name", "业主姓名不能为空")
    elif len(name) > 50:
        out.error(line, "owner_name", "业主姓名不能超过 50 个字")
    phones = split_phones(_text(v.get("phone")))
    if not phones:
        out.error(line, "phone", "联系电话不能为空")
    for p in phones:
        problem = phone_problem(p)
        if problem:
            out.error(line, "phone", problem)
    if len(",".join(phones)) > 100:
        out.error(line, "phone", "电话号码太多（合计不超过 100 个字符）")
    handover = _date(out, line, "handover_date", v.get("handover_date"), required=True)
    if handover is not None and handover > today:
        out.error(line, "handover_date", f"交房日期 {handover.isoformat()} 在今天之后")
    move_in = _date(out, line, "move_in_date", v.get("move_in_date"), required=False)
    if move_in is not None and handover is not None and move_in < handover:
        out.error(line, "move_in_date", f"入住日期 {move_in.isoformat()} 早于交房日期 {handover.isoformat()}")
    if move_in is not None and move_in > today:
        out.error(line, "move_in_date", f"入住日期 {move_in.isoformat()} 在今天之后")
    area = _area(out, line, v.get("area"))
    kind = KINDS.get(_text(v.get("kind")).lower())
    if kind is None:
        out.error(line, "kind", f"{_text(v.get('kind'))!r} 不是 业主/租户 (owner/tenant)")
    if len(out.errors) > before or not match or building is None or unit is None or kind is None:
        return None
    return PersonRow(line, room, building, unit, name, phones, kind, handover, move_in, area)


def _csv_rows(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise BadInput("CSV 文件编码无法识别，请另存为 UTF-8 (not UTF-8 or GB18030 text)",
                           fields={"file": {"key": "file.encoding"}}) from None
    if "\x00" in text:
        raise BadInput("不是 CSV 或 Excel (.xlsx) 文件 (not CSV or XLSX)", fields={"file": {"key": "file.type"}})
    try:
        return [list(r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as e:
        raise BadInput(f"CSV 格式有误：{e}", fields={"file": {"key": "file.csv"}}) from None


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    import openpyxl  # only when a sheet is an Excel file
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            # a zip bomb: the unpacked parts, not the upload, are what the reader would hold
            if sum(i.file_size for i in z.infolist()) > 20 * MAX_BYTES:
                raise BadInput("Excel 文件解压后过大 (unpacked size too large)", fields={"file": {"key": "file.size"}})
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except BadInput:
        raise
    except Exception:  # noqa: BLE001 -- openpyxl raises many kinds for a damaged or foreign zip
        raise BadInput("无法读取 Excel 文件：请上传 .xlsx 格式（不支持 .xls） (not a readable XLSX file)",
                       fields={"file": {"key": "file.type"}}) from None
    try:
        sheet = book.worksheets[0]
        rows: list[list[Any]] = []
        for r in sheet.iter_rows(values_only=True):
            rows.append(list(r))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _int(out: RegisterFile, line: int, column: str, value: Any) -> int | None:
    text = _text(value)
    if not re.fullmatch(r"\d{1,5}", text):
        out.error(line, column, f"{column} 应为数字，而不是 {text!r}" if text else f"{column} 不能为空")
        return None
    return int(text)


def _date(out: RegisterFile, line: int, column: str, value: Any, *, required: bool) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    if not text:
        if required:
            out.error(line, column, f"{column} 不能为空（格式 2024-06-30）")
        return None
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")) if text.count("-") == 2 else text)
    except ValueError:
        out.error(line, column, f"{text!r} 不是日期（格式 2024-06-30）")
        return None


def _area(out: RegisterFile, line: int, value: Any) -> float | None:
    text = _text(value)
    if not text:
        return None
    try:
        area = round(float(text), 2)
    except ValueError:
        out.error(line, "area", f"面积应为数字（平方米），而不是 {text!r}")
        return None
    if not 0 < area < 100_000:
        out.error(line, "area", f"面积 {text} 不在合理范围内")
        return None
    return area


def read_room_form(code: str, handover_date: str, area: str, people: list[dict[str, str]], *,
                   today: date) -> RegisterFile:
    """A room as a supervisor edits it in the browser, checked by the same rules as a sheet's rows;
    each person is a "line" numbered from 1 (the form shows the problem beside that person)."""
    match = ROOM.fullmatch(code.strip())
    building, unit = (match.group(1), match.group(2)) if match else ("", "")
    out = RegisterFile(kind="form")
    for i, p in enumerate(people, start=1):
        row = _row(out, i, {"room": code, "building": building, "unit": unit, "owner_name": p.get("name", ""),
                            "phone": p.get("phones", ""), "handover_date": handover_date,
                            "move_in_date": p.get("move_in_date", ""), "area": area, "kind": p.get("kind", "")},
                   today)
        if row is not None:
            out.rows.append(row)
    if not people:
        problem = room_problem(code)
        if problem:
            out.error(0, "room", problem)
        out.error(0, "people", "至少填写一位业主或租户")
    return out
