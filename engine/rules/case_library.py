"""The complaint case library (M4 小区业主投诉处理案例集锦): for a complaint ``category``, the
handling guide, the scripts (话术) and the risk hints a butler should see beside the handling form.

Why a data file: the library is the company's own know-how and grows with every monthly case review
(M2 四(十二)1: 客服助理将每月投诉内容编制成案例); process owners edit
``processes/case_library.json`` (or the file named by WUYE_CASE_LIBRARY) without touching code.
Categories are the ``category`` enum of complaint.bpmn (procedures §3)."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from engine.rules.penalties import PROCESSES_DIR

_LISTS = ("expectations", "guide", "scripts", "risk_hints")


class CaseLibraryInvalid(ValueError):
    """The library file is not what this module promises its callers (names the entry and field)."""


def library_path() -> Path:
    return Path(os.environ.get("WUYE_CASE_LIBRARY") or PROCESSES_DIR / "case_library.json")


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict[str, dict]:
    """Parsed and checked once per file version (the mtime is part of the key, so edits show up)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise CaseLibraryInvalid(f"{path}: expected a JSON object of categories")
    out = {}
    for category, entry in raw.items():
        if category.startswith("_"):
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise CaseLibraryInvalid(f"{path}: {category}: needs a Chinese `name`")
        for key in _LISTS:
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise CaseLibraryInvalid(f"{path}: {category}.{key}: must be a list of strings")
        out[category] = entry
    return out


def categories() -> dict[str, str]:
    """category id -> Chinese name, in the file's order."""
    return {k: v["name"] for k, v in _library().items()}


def guide_for(category: str) -> dict | None:
    """The guide for ``category`` (a copy: callers may change it), or None when the library has none:
    {category, name, source, expectations[], guide[], scripts[], risk_hints[]}."""
    entry = _library().get(category)
    if entry is None:
        return None
    return {"category": category, "name": entry["name"], "source": entry.get("source", ""),
            **{key: list(entry.get(key, [])) for key in _LISTS}}


def _library() -> dict[str, dict]:
    path = library_path()
    if not path.exists():
        return {}
    return _load(str(path), path.stat().st_mtime_ns)
