"""The supervisor's board (看板): every group's open work — what is overdue, what falls due within
30 minutes, what is open — with who holds each task, and for each task whom it may be handed to
(the members of its groups, by name: the assign use case checks the choice again)."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock, to_iso
from engine.notify.outbox import DUE_SOON, is_escalation
from engine.rules.groups import GROUPS
from engine.rules.permissions import Actor, may_see_all_tasks
from engine.usecases.runner import reads
from storage.uow import UnitOfWork

LIMIT = 500        # the most urgent tasks shown; the counts are of these


@reads
def board(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """``{"groups": [{"id", "name", "overdue", "due_soon", "open", "tasks": [...]}], "may_assign"}``,
    the groups with the most overdue work first."""
    may_see_all_tasks(actor)
    now = clock.now()
    rows = uow.tasks.inbox(user=actor.name, groups=actor.working_groups, every_group=True, limit=LIMIT)
    names = uow.users.display_names()
    process_names = {d.key: d.name for d in uow.definitions.latest_all("bpmn")}
    members: dict[str, list[dict[str, str]]] = {}
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        offered = [g for g in row.candidate_groups.split(",") if g]
        lane = row.lane or (offered[0] if offered else "")
        group = groups.setdefault(lane, {"id": lane, "name": GROUPS.get(lane, lane or "未指定处理组"),
                                         "overdue": 0, "due_soon": 0, "open": 0, "tasks": []})
        state = ("overdue" if row.due_at is not None and row.due_at < now
                 else "due_soon" if row.due_at is not None and row.due_at <= now + DUE_SOON else "open")
        group[state] += 1
        key = ",".join(sorted(offered))
        if actor.is_supervisor and key not in members:
            members[key] = [{"name": n, "display_name": d or n}
                            for n, d in uow.users.members(sorted(offered) if offered else None) if n != "system"]
        group["tasks"].append({
            "id": row.id, "instance": row.instance_id, "process": row.process_id,
            "process_name": process_names.get(row.process_id, row.process_id), "title": row.title,
            "room": row.room, "assignee": row.assignee,
            "assignee_name": names.get(row.assignee, row.assignee) if row.assignee else None,
            "due_at": to_iso(row.due_at) if row.due_at else None, "state": state,
            "escalation": is_escalation(row.name), "assignable": members.get(key, [])})
    ordered = sorted(groups.values(), key=lambda g: (-g["overdue"], -g["due_soon"], g["id"]))
    return {"groups": ordered, "may_assign": actor.is_supervisor, "total": len(rows), "limit": LIMIT}
