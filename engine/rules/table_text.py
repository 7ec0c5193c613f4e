"""A rule table's rows as the browser edits them: one text per cell, and back.

Why: a 客服 edits an amount, a list of buildings or a guide's lines in plain inputs, not JSON. A text
that does not read as its kind (``三十`` for an amount) is kept as the text it is, so the check of
the rows (engine/rules/tables.py) reports it beside its cell and the form shows it again as typed.
The fields a column does not show (a row's other keys, e.g. those another report adds) travel with
the row unchanged, as JSON in ``_extra``."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from engine.rules.tables import TABLES, Column

__all__ = ["cell_text", "form_rows", "row_texts"]

_SEPARATORS = re.compile(r"[,，、;；\s]+")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _number(text: str) -> int | float | str:
    text = text.strip()
    if not _NUMBER.match(text):
        return text
    value = float(text)
    return int(value) if value.is_integer() else value


def cell_text(column: Column, value: object) -> str:
    if value is None:
        return ""
    if column.kind == "number":
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if column.kind == "lines" and isinstance(value, list):
        return "\n".join(str(x) for x in value)
    if column.kind == "buildings" and isinstance(value, list):
        return ", ".join(str(x) for x in value)
    if column.kind == "also" and isinstance(value, list):
        return "\n".join(" ".join(str(p) for p in (i.get("payer", ""), cell_text(Column("", "", "number"),
                                                                                    i.get("amount")),
                                                     i.get("when", "")) if p != "")
                         for i in value if isinstance(i, dict))
    return str(value)


def _value(column: Column, text: str) -> Any:
    text = text.strip()
    if column.kind == "number":
        return _number(text) if text else None
    if column.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if column.kind == "buildings":
        return [_number(part) if _NUMBER.match(part) else part for part in _SEPARATORS.split(text) if part]
    if column.kind == "also":
        items = []
        for line in text.splitlines():
            parts = line.split(maxsplit=2)
            if parts:
                item: dict[str, Any] = {"payer": parts[0], "amount": _number(parts[1]) if len(parts) > 1 else None}
                if len(parts) > 2:
                    item["when"] = parts[2]
                items.append(item)
        return items
    return text


def row_texts(table: str, key: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The form's texts for one row: ``key``, one per column, ``_extra`` (the other fields) and
    ``_empty`` (the fields the row has with an empty value, which an empty cell keeps so)."""
    columns = TABLES[table].columns
    shown = {c.field for c in columns}
    extra = {k: v for k, v in data.items() if k not in shown}
    empty = [c.field for c in columns if c.field in data and data[c.field] in ("", [])]
    return {"key": key, **{c.field: cell_text(c, data.get(c.field)) for c in columns},
            "_extra": json.dumps(extra, ensure_ascii=False) if extra else "", "_empty": ",".join(empty)}


def form_rows(table: str, typed: Sequence[Mapping[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    """The rows the form's texts say, in order; a row whose texts are all empty is no row (the
    blank row a new line starts from). Empty cells are left out, as the file leaves them out."""
    columns = TABLES[table].columns
    rows = []
    for texts in typed:
        if not any((texts.get(f) or "").strip() for f in ("key", *(c.field for c in columns))):
            continue
        try:
            extra = json.loads(texts.get("_extra") or "{}")
        except json.JSONDecodeError:
            extra = {}
        data: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}
        kept_empty = set((texts.get("_empty") or "").split(","))
        for c in columns:
            value = _value(c, texts.get(c.field) or "")
            if value in (None, "", []) and c.field in kept_empty:
                data[c.field] = [] if c.kind in ("lines", "also", "buildings") else ""
            elif value in (None, "", []):
                data.pop(c.field, None)
            else:
                data[c.field] = value
        rows.append(((texts.get("key") or "").strip(), data))
    return rows
