"""The read projections a step writes beside the state: what the instance and task pages show
without loading the workflow (``Instance.data``, ``.waiting``, ``.diagram``; ``Task.values``)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.clock import to_iso
from engine.spiff.run import Run


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Process data as JSON can hold it: times as ISO 8601 with offset, dates as YYYY-MM-DD."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, datetime):
            v = to_iso(v)
        elif isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, dict):
            v = jsonable(v)
        out[k] = v
    return out


def waiting_of(run: Run, elements: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The timers (soonest first, with what each guards and its deadline rule) and the messages the
    instance waits for."""
    out: list[dict[str, Any]] = []
    for t in sorted(run.waiting_timers(), key=lambda t: t.due):
        el = elements.get(t.element_id, {})
        out.append({"id": t.task_id, "name": t.element_id, "title": el.get("name", t.element_id), "kind": "timer",
                    "due_at": to_iso(t.due), "guards": t.guarded_task_id, "interrupting": t.interrupting,
                    "deadline": (el.get("properties") or {}).get("deadline")})
    out += [{"name": m, "kind": "message"} for m in run.waiting_messages()]
    return out


def form_values(task_data: dict[str, Any], form: list[dict[str, Any]]) -> dict[str, Any]:
    """The current values of a ready task's form fields (those its data has)."""
    ids = [f["id"] for f in form]
    return jsonable({k: task_data[k] for k in ids if k in task_data})
