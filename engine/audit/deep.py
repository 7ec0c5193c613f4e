"""The deep audit (`wuye audit verify --deep`): every row a step derived from its events — a
violation's payer and amount, who completed a task, an instance's status — checked against the
events that made it. The chain covers the events; an edit of a derived row alone (or an event
edited and the chain re-hashed over it) shows here as a row and its event that disagree."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from storage.events import EventRow
from storage.uow import UnitOfWork

_ENDS = {"instance_completed": "completed", "instance_cancelled": "cancelled"}


@dataclass
class Derivations:
    """What the events say the derived rows must be, gathered during the chain walk."""
    violations: dict[int, list[EventRow]] = field(default_factory=lambda: defaultdict(list))
    completions: dict[str, EventRow] = field(default_factory=dict)
    ends: dict[int, EventRow] = field(default_factory=dict)
    started: dict[int, int] = field(default_factory=dict)

    def see(self, ev: EventRow) -> None:
        if ev.instance_id is None:
            return
        if ev.type == "violation":
            self.violations[ev.instance_id].append(ev)
        elif ev.type == "task_completed" and ev.task_id:
            self.completions[ev.task_id] = ev
        elif ev.type in _ENDS:
            self.ends[ev.instance_id] = ev
        elif ev.type == "instance_started":
            self.started[ev.instance_id] = ev.seq


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def mismatches(uow: UnitOfWork, seen: Derivations) -> list[dict[str, Any]]:
    """Every derived row that disagrees with its events, first event first: ``seq`` (the event, or
    the instance's first when no event made the row), ``row`` and ``reason``."""
    out: list[dict[str, Any]] = []
    rows_by_instance: dict[int, list[Any]] = defaultdict(list)
    for row in uow.derived.violations():
        rows_by_instance[row.instance_id].append(row)
    for instance_id in sorted(set(rows_by_instance) | set(seen.violations)):
        rows, events = rows_by_instance.get(instance_id, []), seen.violations.get(instance_id, [])
        for i in range(max(len(rows), len(events))):
            row = rows[i] if i < len(rows) else None
            ev = events[i] if i < len(events) else None
            where = f"violations.id {row.id}" if row is not None else f"instance {instance_id}'s violations"
            if row is None or ev is None:
                out.append({"seq": ev.seq if ev else seen.started.get(instance_id), "row": where,
                            "reason": "a violation event without its row" if row is None
                            else "a violation row without its event"})
                continue
            for column, stored, recorded in (("deadline_id", row.deadline_id, ev.data.get("deadline")),
                                             ("responsible", row.responsible, ev.data.get("responsible")),
                                             ("amount", _money(row.amount), _money(ev.data.get("amount")))):
                if stored != recorded:
                    out.append({"seq": ev.seq, "row": f"{where}.{column}",
                                "reason": f"violations.{column} is {stored} but its event says {recorded}"})
    for task_id, _instance, completed_by in uow.derived.completed_tasks():
        ev = seen.completions.get(task_id)
        if ev is not None and ev.actor != completed_by:
            out.append({"seq": ev.seq, "row": f"tasks.id {task_id}.completed_by",
                        "reason": f"tasks.completed_by is {completed_by} but its event says {ev.actor}"})
    for instance_id, status in uow.derived.instance_statuses():
        ev = seen.ends.get(instance_id)
        recorded = _ENDS[ev.type] if ev is not None else None
        if (status in _ENDS.values() or recorded is not None) and status != recorded:
            out.append({"seq": ev.seq if ev is not None else seen.started.get(instance_id),
                        "row": f"instances.id {instance_id}.status",
                        "reason": f"instances.status is {status} but its events say "
                                  f"{recorded or 'it has not ended'}"})
    return sorted(out, key=lambda m: (m["seq"] is None, m["seq"] or 0))
