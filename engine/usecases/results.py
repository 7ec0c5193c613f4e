"""The JSON shapes of design.md's CLI contract (the API returns the same)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import SHANGHAI, to_iso
from engine.rules.calendar import BusinessCalendar
from storage.models import Event, Instance, Task, Violation
from storage.step_rows import TaskRow


def _iso(dt: datetime | None) -> str | None:
    return to_iso(dt) if dt is not None else None


def due_estimated(row: Task | TaskRow, calendar: BusinessCalendar) -> bool:
    """Whether the task's deadline was counted over a day the calendar has no official data for
    (预估): a day between the task's start and its due day."""
    if row.due_at is None:
        return False
    start, due = (t.astimezone(SHANGHAI).date() for t in (row.created_at, row.due_at))
    return calendar.first_unofficial(min(start, due), due) is not None


def task_json(row: Task | TaskRow, meta: dict[str, Any], calendar: BusinessCalendar | None = None) -> dict[str, Any]:
    el = meta.get("elements", {}).get(row.name, {})
    extra = {"due_estimated": due_estimated(row, calendar)} if calendar is not None else {}
    return {**extra, "id": row.id, "instance": row.instance_id, "process": row.process_id,
            "process_name": meta.get("name") or row.process_id, "name": row.name,
            "title": row.title, "lane": row.lane, "lane_name": meta.get("lanes", {}).get(row.lane, row.lane),
            "candidate_groups": [g for g in row.candidate_groups.split(",") if g],
            "assignee": row.assignee, "state": row.state, "room": row.room, "priority": row.priority,
            "due_at": _iso(row.due_at), "created_at": _iso(row.created_at),
            "completed_at": _iso(row.completed_at), "completed_by": row.completed_by,
            "documentation": el.get("documentation", ""), "form": el.get("form", [])}


def event_json(ev: Event) -> dict[str, Any]:
    return {"seq": ev.seq, "type": ev.type, "at": _iso(ev.at), "actor": ev.actor, "task": ev.task_id,
            "instance": ev.instance_id, "data": ev.data}


def violation_json(v: Violation) -> dict[str, Any]:
    return {"id": v.id, "deadline": v.deadline_id, "element": v.element_id, "task": v.task_id,
            "responsible": v.responsible, "responsible_kind": v.responsible_kind, "amount": float(v.amount),
            "at": _iso(v.at), "description": v.description, "instance": v.instance_id, "process": v.process_id}


def instance_summary(inst: Instance) -> dict[str, Any]:
    return {"instance": inst.id, "process": inst.process_id, "name": inst.definition.meta.get("name"),
            "version": inst.definition.version, "status": inst.status, "room": inst.room,
            "started_at": _iso(inst.started_at), "started_by": inst.started_by, "ended_at": _iso(inst.ended_at),
            "updated_at": _iso(inst.updated_at), "next_timer_at": _iso(inst.next_timer_at), "error": inst.error}
