"""The case a task belongs to, as the person handling it reads it: who (owner, phone, room), what
(the complaint or repair text, category, severity) and the steps so far with their notes.

Which variables are the "who" and the "what" is the process's to say, in its BPMN, with
process-level ``camunda:property`` entries (comma-separated variable names):

- ``case:who``: the people and the place, e.g. ``complainant,phone,room``;
- ``case:what``: the matter, e.g. ``content,category,severity``;
- ``case:phones``: which of those are phone numbers (``tel:`` links; masked as 138****5678 for
  anyone who does not work on the case: owners' phones are personal data under PIPL).

Deploy refuses a name that is no identifier (engine/deploy/checks.py); a name the instance has no
value for yet is left out of the card, so a summary can list what a later task fills in."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from engine.rules.fields import DataLabel

WHO, WHAT, PHONES = "case:who", "case:what", "case:phones"
CASE_PROPERTIES = (WHO, WHAT, PHONES)
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# the field of a step's submitted data that counts as its note: text a person wrote
NOTE_TYPES = ("string",)


class CaseSpec(TypedDict):
    """What a definition's meta keeps of its case properties."""
    who: list[str]
    what: list[str]
    phones: list[str]


class CaseItem(TypedDict):
    id: str
    label: str
    value: Any
    phone: bool          # a phone number: shown as a tel: link
    masked: bool         # the value shown is masked (138****5678)


def names(value: str | None) -> list[str]:
    """``a, b,c`` -> ``["a", "b", "c"]`` (order kept, blanks and repeats dropped)."""
    return list(dict.fromkeys(n.strip() for n in (value or "").split(",") if n.strip()))


def bad_names(properties: Mapping[str, str | None]) -> list[str]:
    """The problems of a process's case properties, one line each (for deploy)."""
    out = []
    for prop in CASE_PROPERTIES:
        for n in names(properties.get(prop)):
            if not IDENTIFIER.fullmatch(n):
                out.append(f"{prop}: {n!r} 不是变量名 (not a variable name)")
    listed = set(names(properties.get(WHO))) | set(names(properties.get(WHAT)))
    for n in names(properties.get(PHONES)):
        if n not in listed:
            out.append(f"{PHONES}: {n!r} 不在 case:who 或 case:what 中 (a phone must be one of the summary fields)")
    return out


def case_spec(properties: Mapping[str, str | None]) -> CaseSpec:
    return {"who": names(properties.get(WHO)), "what": names(properties.get(WHAT)),
            "phones": names(properties.get(PHONES))}


def short_label(label: str) -> str:
    """A form's label without its typing hint: 房号（楼-单元-房号，如 3-2-1102） reads 房号 on a card."""
    return label.split("（")[0].split("(")[0].strip() or label


def mask_phone(value: object) -> str:
    """138****5678: the first three and the last four digits of a mobile number; a shorter number
    keeps only its last four (a landline's extension says little about whose it is)."""
    text = str(value or "")
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(digits) >= 11:
        hidden = set(digits[3:-4])
    elif len(digits) > 4:
        hidden = set(digits[:-4])
    else:
        hidden = set(digits)
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def _items(ids: Iterable[str], data: Mapping[str, Any], labels: Mapping[str, DataLabel], phones: set[str],
           full: bool) -> list[CaseItem]:
    out: list[CaseItem] = []
    for name in ids:
        value = data.get(name)
        if value is None or value == "":
            continue
        phone = name in phones
        entry = labels.get(name)
        label = short_label((entry["label"] if entry else "") or name)
        out.append({"id": name, "label": label, "value": value if full or not phone else mask_phone(value),
                    "phone": phone, "masked": phone and not full})
    return out


def case_card(spec: CaseSpec | None, data: Mapping[str, Any], labels: Mapping[str, DataLabel], *,
              full: bool) -> dict[str, list[CaseItem]]:
    """The who and the what of one instance's data; phones in full only when ``full``."""
    spec = spec or {"who": [], "what": [], "phones": []}
    phones = set(spec["phones"])
    return {"who": _items(spec["who"], data, labels, phones, full),
            "what": _items(spec["what"], data, labels, phones, full)}


def step_notes(submitted: Mapping[str, Any], labels: Mapping[str, DataLabel],
               hidden: Iterable[str] = ()) -> list[dict[str, Any]]:
    """What a person wrote when completing a step: its non-empty text fields (not the phones)."""
    skip = set(hidden)
    out = []
    for k, v in submitted.items():
        entry = labels.get(k)
        if k in skip or not isinstance(v, str) or not v.strip():
            continue
        if entry is None or entry["type"] in NOTE_TYPES:
            out.append({"id": k, "label": (entry["label"] if entry else "") or k, "value": v})
    return out
