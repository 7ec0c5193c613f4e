"""What the desk's search box finds an instance by: its room, its process's name, the case's who
and what (as the process's BPMN lists them, engine/rules/case.py), the enum names shown for them,
every free text a person typed, and each phone's digits (so ``5678`` finds 138-0000-5678).

The text is rewritten with every step (engine/step/state.py) into ``instance_search``; the query
side is ``terms``: each whitespace-separated word must appear, as a substring, anywhere in it."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.rules.case import CaseSpec
from engine.rules.fields import DataLabel

MAX_BODY = 4000          # characters kept per instance: a long complaint is still found by its start
MAX_TERMS = 5
PHONE_DIGITS = 4         # a query of digits only must have at least this many (the last four of a phone)


def _digits(value: object) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


def search_body(*, process_name: str, room: str | None, data: Mapping[str, Any], spec: CaseSpec | None,
                labels: Mapping[str, DataLabel]) -> str:
    """The searchable text of one instance (space-separated parts, lower-cased by neither database)."""
    spec = spec or {"who": [], "what": [], "phones": []}
    parts: list[str] = [process_name, room or ""]
    seen = set()
    for name in [*spec["who"], *spec["what"]]:
        value = data.get(name)
        if value is None or value == "" or isinstance(value, (dict, list)):
            continue
        seen.add(name)
        label = labels.get(name)
        if name in spec["phones"]:
            parts.append(_digits(value))
        elif label and label.get("options") and str(value) in label["options"]:
            parts += [str(value), label["options"][str(value)]]
        else:
            parts.append(str(value))
    for name, value in data.items():         # the other free text: notes, descriptions, results
        entry = labels.get(name)
        if name not in seen and isinstance(value, str) and value.strip() and entry and entry["type"] == "string":
            parts.append(value)
    return " ".join(p.strip() for p in parts if p and p.strip())[:MAX_BODY]


def terms(query: str) -> list[str]:
    """The words of a query (at most five); a word of digits only needs at least four of them."""
    words = [w for w in re.split(r"\s+", (query or "").strip()) if w][:MAX_TERMS]
    return [w for w in words if not (w.isdigit() and len(w) < PHONE_DIGITS)]
