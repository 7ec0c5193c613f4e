"""The complaint case library (M4 小区业主投诉处理案例集锦): for a complaint ``category``, the
handling guide, the scripts (话术) and the risk hints a butler should see beside the handling form.

Why a data file: the library is the company's own know-how and grows with every monthly case review
(M2 四(十二)1: 客服助理将每月投诉内容编制成案例); process owners edit
it in the browser as a versioned rule table (engine/usecases/rule_tables.py; seeded from
``processes/case_library.json``, or the file named by WUYE_CASE_LIBRARY, which is read while the
database has no version of it) without touching code.
Categories are the ``category`` enum of complaint.bpmn (procedures §3)."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from engine.rules.penalties import PROCESSES_DIR

_LISTS = ("expectations", "guide", "scripts", "risk_hints")


class CaseEntry(TypedDict):
    """One category as the file has it, once ``_load`` has checked it."""
    name: str
    source: NotRequired[str]
    expectations: NotRequired[list[str]]
    guide: NotRequired[list[str]]
    scripts: NotRequired[list[str]]
    risk_hints: NotRequired[list[str]]


class CaseGuide(TypedDict):
    """What ``guide_for`` hands out: the entry with every list present."""
    category: str
    name: str
    source: str
    expectations: list[str]
    guide: list[str]
    scripts: list[str]
    risk_hints: list[str]


class CaseLibraryInvalid(ValueError):
    """The library file is not what this module promises its callers (names the entry and field)."""


def library_path() -> Path:
    return Path(os.environ.get("WUYE_CASE_LIBRARY") or PROCESSES_DIR / "case_library.json")


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict[str, CaseEntry]:
    """Parsed and checked once per file version (the mtime is part of the key, so edits show up)."""
    return checked_library(json.loads(Path(path).read_text(encoding="utf-8")), path)


def checked_library(raw: object, path: str) -> dict[str, CaseEntry]:
    """The library's categories from the file's JSON (or the database's rows joined into it)."""
    if not isinstance(raw, dict):
        raise CaseLibraryInvalid(f"{path}: expected a JSON object of categories")
    out: dict[str, CaseEntry] = {}
    for category, entry in raw.items():
        if category.startswith("_"):
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise CaseLibraryInvalid(f"{path}: {category}: needs a Chinese `name`")
        for key in _LISTS:
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise CaseLibraryInvalid(f"{path}: {category}.{key}: must be a list of strings")
        out[category] = cast(CaseEntry, entry)    # its name and lists are checked just above
    return out


def categories() -> dict[str, str]:
    """category id -> Chinese name, in the file's order."""
    return {k: v["name"] for k, v in _library().items()}


def guide_for(category: str, library: Mapping[str, CaseEntry] | None = None) -> CaseGuide | None:
    """The guide for ``category`` (a copy: callers may change it), or None when the library has none:
    {category, name, source, expectations[], guide[], scripts[], risk_hints[]}. ``library``: the
    version deployed to the database; None reads the file."""
    entry = (_library() if library is None else library).get(category)
    if entry is None:
        return None
    # the lists of _LISTS, each spelled out so that the shape is checked
    return {"category": category, "name": entry["name"], "source": entry.get("source", ""),
            "expectations": list(entry.get("expectations", [])), "guide": list(entry.get("guide", [])),
            "scripts": list(entry.get("scripts", [])), "risk_hints": list(entry.get("risk_hints", []))}


def library() -> dict[str, CaseEntry]:
    """The seed file's library (what a database with no deployed version of it reads)."""
    return _library()


def _library() -> dict[str, CaseEntry]:
    path = library_path()
    if not path.exists():
        return {}
    return _load(str(path), path.stat().st_mtime_ns)
