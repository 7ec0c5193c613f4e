"""The penalty table of M1 附则: deadline id -> amount (yuan) and who pays, configurable.

Read from ``processes/penalties.json`` (or the file named by WUYE_PENALTIES); a timer element's own
``penalty`` property overrides the table for that element."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

PROCESSES_DIR = Path(os.environ.get("WUYE_PROCESSES_DIR") or Path(__file__).resolve().parents[2] / "processes")


@lru_cache(maxsize=4)
def _table(path: str) -> dict:
    p = Path(path)
    if not p.exists():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def penalty_table() -> dict:
    return _table(os.environ.get("WUYE_PENALTIES") or str(PROCESSES_DIR / "penalties.json"))


def amount_for(deadline_id: str, properties: dict) -> float:
    if properties.get("penalty") not in (None, ""):
        return float(properties["penalty"])
    entry = penalty_table().get(deadline_id) or {}
    return float(entry.get("amount", 0))


def describe(deadline_id: str) -> str:
    return str((penalty_table().get(deadline_id) or {}).get("description", ""))
