"""The rule tables as rows: what each table is, how its seed file splits into rows and back, and
the check of every row, each problem naming the row and the field.

Why rows: a process owner edits a table in the browser one row at a time (a deadline's penalty, a
desk's buildings, a category's guide), and a refusal must be shown beside the row it is about. The
row format is the seed file's (``processes/penalties.json`` etc.): a row is the file's entry for
one key, so what the file says and what the database stores stay interchangeable; fields this
module does not know are kept as they are."""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from engine.rules import desks as desk_rules

__all__ = ["TABLES", "Column", "RowProblem", "TableKind", "check_rows", "content_hash", "join_file",
           "split_file"]

Row = tuple[str, dict[str, Any]]
MAX_AMOUNT = 100_000
MAX_ROWS = 500
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Column:
    """One editable field of a row: ``kind`` says how the browser edits it and how it is read back:
    text, number, lines (one item a line), buildings (numbers and ranges, comma separated) or
    also (one further charge a line: payer amount [when])."""
    field: str
    label: str
    kind: str = "text"
    required: bool = False


@dataclass(frozen=True)
class TableKind:
    name: str
    title: str
    key_label: str
    file_name: str
    columns: tuple[Column, ...]
    about: str = ""
    settings_keys: tuple[str, ...] = field(default=())


TABLES: dict[str, TableKind] = {t.name: t for t in (
    TableKind("penalties", "扣罚表（M1 附则）", "时限编号", "penalties.json", (
        Column("amount", "金额（元）", "number", True), Column("payer", "扣罚对象"),
        Column("description", "违规说明", "text", True), Column("source", "依据"),
        Column("also", "另扣（每行：对象 金额 情形）", "also"), Column("note", "备注")),
        about="每个时限（如 C5）违规时记录的扣罚金额；下一次违规按新版本扣罚，已记录的违规保持原金额。"),
    TableKind("move_in_desks", "入住办理组", "组编号", "move_in_desks.json", (
        Column("name", "组名", "text", True), Column("buildings", "负责楼号（如 1-6, 8）", "buildings", True)),
        about="每栋楼只属于一个组；新发起的入住按新版本分组，已分组的实例不变。", settings_keys=("default",)),
    TableKind("case_library", "投诉案例库（M4）", "投诉类别", "case_library.json", (
        Column("name", "类别名称", "text", True), Column("source", "出处"),
        Column("expectations", "客户期望（每行一条）", "lines"), Column("guide", "处理意见（每行一条）", "lines"),
        Column("scripts", "话术（每行一条）", "lines"), Column("risk_hints", "风险提示（每行一条）", "lines")),
        about="投诉处理表单旁显示给管家的处理指引。"),
)}


@dataclass(frozen=True)
class RowProblem:
    """``row``: the row's position (0-based) or None for the table as a whole."""
    row: int | None
    key: str
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "key": self.key, "field": self.field, "message": self.message}


def split_file(table: str, data: object) -> tuple[dict[str, Any], list[Row]]:
    """A seed file's JSON as (settings, rows); ValueError when it is not the table's shape."""
    if not isinstance(data, dict):
        raise ValueError(f"{TABLES[table].file_name}: 应为 JSON 对象 (expected a JSON object)")
    if table == "move_in_desks":
        raw = data.get("desks")
        if not isinstance(raw, dict):
            raise ValueError(f"{TABLES[table].file_name}: 缺少 \"desks\" 对象 (needs an object \"desks\")")
        return {k: v for k, v in data.items() if k != "desks"}, [(str(k), v) for k, v in raw.items()]
    settings = {k: v for k, v in data.items() if k.startswith("_")}
    return settings, [(str(k), v) for k, v in data.items() if not k.startswith("_")]


def join_file(table: str, settings: dict[str, Any], rows: list[Row]) -> dict[str, Any]:
    """The seed file's JSON for (settings, rows): what the engine's loaders read."""
    if table == "move_in_desks":
        return {**settings, "desks": dict(rows)}
    return {**settings, **dict(rows)}


def content_hash(table: str, settings: dict[str, Any], rows: list[Row]) -> str:
    text = json.dumps([table, settings, [[k, d] for k, d in rows]], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_rows(table: str, rows: list[Row], settings: dict[str, Any] | None = None) -> list[RowProblem]:
    """Every problem of every row (not only the first), each naming its row and field."""
    kind = TABLES[table]
    problems: list[RowProblem] = []
    if not rows:
        problems.append(RowProblem(None, "", "", "表中至少要有一行 (the table needs at least one row)"))
    if len(rows) > MAX_ROWS:
        problems.append(RowProblem(None, "", "", f"最多 {MAX_ROWS} 行 (at most {MAX_ROWS} rows)"))
    seen: dict[str, int] = {}
    for i, (key, data) in enumerate(rows):
        if not _KEY.match(key):
            problems.append(RowProblem(i, key, "key", f"{kind.key_label}须以字母开头，只含字母、数字和下划线 "
                                                      "(the key must be an identifier)"))
        elif key in seen:
            problems.append(RowProblem(i, key, "key", f"{kind.key_label} {key} 与第 {seen[key] + 1} 行重复 "
                                                      "(the key is used twice)"))
        else:
            seen[key] = i
        if not isinstance(data, dict):
            problems.append(RowProblem(i, key, "", "这一行应为 JSON 对象 (the row must be an object)"))
            continue
        for column in kind.columns:
            message = _check_cell(column, data.get(column.field))
            if message:
                problems.append(RowProblem(i, key, column.field, message))
    if table == "move_in_desks":
        problems += _desk_overlaps(rows, settings or {})
    return problems


def _check_cell(column: Column, value: object) -> str | None:
    if value is None or value == "" or value == []:
        return f"{column.label.split('（')[0]}必填 (required)" if column.required else None
    if column.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return "应为数字 (must be a number)"
        if not 0 <= value <= MAX_AMOUNT:
            return f"应在 0 到 {MAX_AMOUNT} 之间 (must be between 0 and {MAX_AMOUNT})"
        return None
    if column.kind == "lines":
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return "应为文字列表 (must be a list of strings)"
        return None
    if column.kind == "buildings":
        try:
            desk_rules.parse_buildings(value, column.label)
        except ValueError as e:
            return str(e).removeprefix(f"{column.label}: ")
        return None
    if column.kind == "also":
        return _check_also(value)
    if not isinstance(value, str):
        return "应为文字 (must be text)"
    return "不能超过 500 字 (at most 500 characters)" if len(value) > 500 else None


def _check_also(value: object) -> str | None:
    if not isinstance(value, list):
        return "应为列表 (must be a list)"
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict) or not isinstance(item.get("payer"), str) or not item["payer"].strip():
            return f"第 {n} 条缺少扣罚对象 (item {n} needs a payer)"
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not 0 <= amount <= MAX_AMOUNT:
            return f"第 {n} 条的金额应为 0 到 {MAX_AMOUNT} 的数字 (item {n}: amount must be a number)"
        if not isinstance(item.get("when", ""), str):
            return f"第 {n} 条的情形应为文字 (item {n}: when must be text)"
    return None


def _desk_overlaps(rows: list[Row], settings: dict[str, Any]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    owner: dict[int, tuple[int, str]] = {}
    for i, (key, data) in enumerate(rows):
        try:
            buildings = desk_rules.parse_buildings(data.get("buildings") if isinstance(data, dict) else None, key)
        except ValueError:
            continue                                  # reported as the cell's own problem
        clash = sorted(b for b in buildings if b in owner)
        if clash:
            first, other = owner[clash[0]]
            problems.append(RowProblem(i, key, "buildings", f"{clash[0]}号楼已属于第 {first + 1} 行的 {other} "
                                                            f"(building {clash[0]} is already served by {other})"))
        for b in buildings:
            owner.setdefault(b, (i, key))
    default = settings.get("default")
    if default is not None and default not in {k for k, _ in rows}:
        problems.append(RowProblem(None, "", "default", f"默认组 {default} 不在表中 (the default desk is not a row)"))
    return problems
