"""The breakdowns of the monthly reports (issue 10), beside engine/usecases/reports.py's totals:
complaints by type, category, responsible department and building with their handling times, the
work overdue right now, repairs by warranty route, and violations per department.

All of it read from what the engine stored (instance data as the process left it, the task
projection, the violations); nothing from what anyone meant to do."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from storage.models import Instance, Task, Violation

UNKNOWN = "未填"          # a value the record does not hold


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def _p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile (the value 90 % of cases did not exceed)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def building_of(room: str | None) -> str:
    """The building of a room written 楼-单元-房 (3-2-1102 → 3)."""
    return room.split("-", 1)[0] if room and "-" in room else (room or UNKNOWN)


def _with_data(s: Session, ids: Iterable[int], process: str) -> list[Instance]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(s.scalars(select(Instance).options(undefer(Instance.data))
                          .where(Instance.id.in_(wanted), Instance.process_id == process)))


def complaints(s: Session, instances: Iterable[Instance], violated: set[int]) -> dict[str, Any]:
    """Complaints received in the month by type (有效/无效), category, responsible department and
    building, each with how many were closed within every deadline, and the handling time (received
    → closed) of those closed: average and 90th percentile, in hours."""
    rows = _with_data(s, (i.id for i in instances if i.process_id == "complaint"), "complaint")
    groups: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in ("type", "category", "department", "building")}
    for i in rows:
        data = i.data or {}
        keys = {"type": data.get("complaint_type"), "category": data.get("category"),
                "department": data.get("responsible_dept"), "building": building_of(i.room or data.get("room"))}
        for group, key in keys.items():
            entry = groups[group].setdefault(str(key or UNKNOWN), {"count": 0, "closed": 0, "within_deadlines": 0})
            entry["count"] += 1
            entry["closed"] += i.status == "completed"
            entry["within_deadlines"] += i.status == "completed" and i.id not in violated
    handled = [(i.ended_at - i.started_at).total_seconds() for i in rows
               if i.status == "completed" and i.ended_at is not None]
    p90 = _p90(handled)
    return {"count": len(rows), **{f"by_{g}": dict(sorted(v.items())) for g, v in groups.items()},
            "handling_hours": {"closed": len(handled),
                               "average": _hours(sum(handled) / len(handled)) if handled else None,
                               "p90": _hours(p90) if p90 is not None else None}}


def repairs_by_route(s: Session, instances: Iterable[Instance]) -> dict[str, Any]:
    """Repairs received in the month by the warranty table's route (开发商保修 / 物业维修 …)."""
    rows = _with_data(s, (i.id for i in instances if i.process_id == "repair"), "repair")
    routes: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "closed": 0})
    for i in rows:
        entry = routes[str((i.data or {}).get("route") or UNKNOWN)]
        entry["count"] += 1
        entry["closed"] += i.status == "completed"
    return {"count": len(rows), "by_route": dict(sorted(routes.items()))}


def overdue_now(s: Session, now: datetime) -> dict[str, Any]:
    """Open work past its due time at this moment (whatever month it started in)."""
    late = list(s.scalars(select(Task).where(Task.state == "ready", Task.due_at.is_not(None), Task.due_at < now)))
    return {"at": now.isoformat(), "count": len(late),
            "by_process": dict(sorted(Counter(t.process_id for t in late).items())),
            "by_lane": dict(sorted(Counter(t.lane or UNKNOWN for t in late).items()))}


def by_department(s: Session, violations: Sequence[Violation]) -> dict[str, dict[str, Any]]:
    """Staff violations per department: the lane of the task missed (a group charged is its own
    department), with the penalty total."""
    task_ids = [v.task_id for v in violations if v.task_id]
    lanes: dict[str, str | None] = ({row[0]: row[1] for row in s.execute(select(Task.id, Task.lane)
                                                                         .where(Task.id.in_(task_ids)))}
                                    if task_ids else {})
    out: dict[str, dict[str, Any]] = {}
    for v in violations:
        department = v.responsible if v.responsible_kind == "group" else (lanes.get(v.task_id or "") or UNKNOWN)
        entry = out.setdefault(department, {"count": 0, "amount": 0.0, "people": Counter()})
        entry["count"] += 1
        entry["amount"] = round(entry["amount"] + float(v.amount), 2)
        if v.responsible_kind == "user":
            entry["people"][v.responsible] += 1
    return {d: {**e, "people": dict(sorted(e["people"].items()))}
            for d, e in sorted(out.items(), key=lambda kv: (-kv[1]["amount"], kv[0]))}
