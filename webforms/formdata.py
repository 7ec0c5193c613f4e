"""Between a task's declared form fields (engine task JSON ``form``) and an HTML form: which widget
each field gets, and which posted values become the submission the engine validates."""
from __future__ import annotations

from collections.abc import Mapping

# string fields that hold a paragraph rather than a word get a textarea
LONG_TEXT = {"content", "result", "remark", "remarks", "description", "manager_decision", "opinion", "reason",
             "note", "notes", "reply", "solution", "measures", "comment", "comments", "report"}


def widget(field: dict) -> str:
    """text | textarea | integer | number | date | datetime | yesno | select.

    A `date` field is a date picker when its label says 日期 or a camunda:property widget="date"
    asks for one; otherwise date and time (most deadlines in the procedures are to the minute)."""
    kind, props = field.get("type"), field.get("properties") or {}
    if props.get("widget"):
        return props["widget"]
    if kind == "string":
        long = field["id"] in LONG_TEXT or (field.get("maxlength") or 0) >= 200
        return "textarea" if long else "text"
    if kind == "date":
        return "date" if field.get("label", "").endswith("日期") else "datetime"
    return {"long": "integer", "double": "number", "boolean": "yesno", "enum": "select"}.get(kind, "text")


def submission(fields: list[dict], posted: Mapping[str, str]) -> dict:
    """The values to hand to the engine: only declared, writable fields; an empty non-text input is
    left out so the field's default applies (and `required` is judged by the engine)."""
    out: dict[str, str] = {}
    for f in fields:
        if f.get("readonly") or f["id"] not in posted:
            continue
        value = posted.get(f["id"], "")
        if f["type"] != "string" and not value.strip():
            continue
        out[f["id"]] = value
    return out


def shown_values(fields: list[dict], values: Mapping, posted: Mapping[str, str] | None) -> dict:
    """What the inputs show: the posted text after a refused submit (so nothing typed is lost),
    else the current value or default."""
    if posted is None:
        return dict(values)
    return {f["id"]: (posted.get(f["id"]) if f["id"] in posted and not f.get("readonly") else values.get(f["id"]))
            for f in fields}
