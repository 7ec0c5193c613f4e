"""The penalty table of M1 附则: deadline id -> amount (yuan) and who pays, configurable.

The table a step charges from is the latest version deployed to the database (process owners edit
it in the browser: engine/usecases/rule_tables.py), handed in as ``table``; a database with none
deployed yet reads ``processes/penalties.json`` (or the file named by WUYE_PENALTIES), which is
also the seed `wuye init` deploys. A timer element's own ``penalty`` property overrides the table
for that element."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

PROCESSES_DIR = Path(os.environ.get("WUYE_PROCESSES_DIR") or Path(__file__).resolve().parents[2] / "processes")


class PenaltyEntry(TypedDict, total=False):
    """One deadline's row as the table states it (its other keys — source, note — are for people and
    reports)."""
    amount: float
    description: str
    also: list[dict[str, Any]]       # further payers the same article names: payer (role), amount
    payer: str


@lru_cache(maxsize=4)
def _table(path: str) -> dict[str, PenaltyEntry]:
    p = Path(path)
    if not p.exists():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def penalty_table() -> dict[str, PenaltyEntry]:
    return _table(str(penalties_path()))


def penalties_path() -> Path:
    return Path(os.environ.get("WUYE_PENALTIES") or PROCESSES_DIR / "penalties.json")


def amount_for(deadline_id: str, properties: Mapping[str, str | None],
               table: Mapping[str, PenaltyEntry] | None = None) -> float:
    """The timer element's own ``penalty`` property, else the table's amount, else 0."""
    own = properties.get("penalty")
    if own is not None and own != "":
        return float(own)
    entry: PenaltyEntry = (penalty_table() if table is None else table).get(deadline_id) or {}
    return float(entry.get("amount", 0))


def describe(deadline_id: str, table: Mapping[str, PenaltyEntry] | None = None) -> str:
    return str(((penalty_table() if table is None else table).get(deadline_id) or {}).get("description", ""))


def also_amount(deadline_id: str, role: str, table: Mapping[str, PenaltyEntry] | None = None) -> float:
    """The amount the table's ``also`` list charges ``role`` (e.g. 责任主管) for ``deadline_id``."""
    entry: PenaltyEntry = (penalty_table() if table is None else table).get(deadline_id) or {}
    for item in entry.get("also", []) or []:
        if item.get("payer") == role:
            return float(item.get("amount", 0))
    return 0.0


OWNER = "业主"


def is_owners(deadline_id: str, table: Mapping[str, PenaltyEntry] | None = None) -> bool:
    """A deadline the owner misses (a payment period of a fee letter), not one of the staff's: it is
    recorded as the owner's lateness, apart from the staff's violations (responsible_kind "owner")."""
    return ((penalty_table() if table is None else table).get(deadline_id) or {}).get("payer") == OWNER
