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
from typing import TypedDict

PROCESSES_DIR = Path(os.environ.get("WUYE_PROCESSES_DIR") or Path(__file__).resolve().parents[2] / "processes")


class PenaltyEntry(TypedDict, total=False):
    """One deadline's row as the file states it (its other keys — source, payer, also, note — are for
    people and reports; this module reads these two)."""
    amount: float
    description: str


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
