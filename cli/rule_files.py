"""`wuye rules deploy TABLE FILE`: the file a process owner edits, read into the rows the rule_tables
use case checks. Two shapes are accepted, both JSON: the seed file's (processes/penalties.json,
move_in_desks.json, case_library.json), or what `wuye rules show TABLE` printed (its ``rows`` and
``settings``), so show → edit → deploy needs no conversion. A refusal's problems are printed one
per row and column, on the one line of stderr the contract allows."""
from __future__ import annotations

from typing import Any

from engine import inputs
from engine.errors import BadInput
from engine.rules.tables import TABLES, RowProblem, split_file

Row = tuple[str, dict[str, Any]]


def rule_file(table: str, path: str, text: str) -> tuple[dict[str, Any] | None, list[Row]]:
    """(settings, rows) from the file's text; BadInput naming the file (and the line of a JSON error).
    Settings None: the latest version's are kept."""
    data = inputs.load_json(text, path)
    if isinstance(data, dict) and data.get("table") == table and isinstance(data.get("rows"), list):
        return _shown(path, data)
    if table not in TABLES:
        return None, []                # the use case says which tables there are (exit 4)
    try:
        return split_file(table, data)
    except ValueError as e:
        raise BadInput(f"{path}: {e}") from None


def _shown(path: str, data: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Row]]:
    rows: list[Row] = []
    for i, row in enumerate(data["rows"]):
        if not isinstance(row, dict) or not isinstance(row.get("data"), dict):
            raise BadInput(f"{path}: rows[{i}] 应为 {{\"key\", \"data\"}} (each row needs a key and a data object)")
        rows.append((str(row.get("key") or ""), row["data"]))
    settings = data.get("settings")
    return (settings if isinstance(settings, dict) else None), rows


def problem_lines(problems: list[RowProblem]) -> str:
    """``; 第 2 行 (C3) amount: 应为正数; ...``: every problem with its row (1-based), key and column."""
    parts = []
    for p in problems:
        where = f"第 {p.row + 1} 行" if p.row is not None else "表"
        parts.append(f"{where}{f' ({p.key})' if p.key else ''}{f' {p.field}' if p.field else ''}: {p.message}")
    return ("; " + "; ".join(parts)) if parts else ""
