"""The projections a step writes beside the state: the task rows the inboxes query by index, and
what the instance and task pages show without loading the workflow (``Instance.data``, ``.waiting``,
``.diagram``; ``Task.values``). They are never the source of truth: the stored state is."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.clock import to_iso
from engine.spiff import Run
from engine.step.context import StepContext
from storage.step_rows import TaskRow


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
    """The timers (soonest first, with what each guards and its deadline rule), the messages, the
    signals and the external tasks (a worker's, by topic) the instance waits for."""
    out: list[dict[str, Any]] = []
    for t in sorted(run.waiting_timers(), key=lambda t: t.due):
        el = elements.get(t.element_id, {})
        out.append({"id": t.task_id, "name": t.element_id, "title": el.get("name", t.element_id), "kind": "timer",
                    "due_at": to_iso(t.due), "guards": t.guarded_task_id, "interrupting": t.interrupting,
                    "deadline": (el.get("properties") or {}).get("deadline")})
    out += [{"name": m, "kind": "message"} for m in run.waiting_messages()]
    out += [{"name": s, "kind": "signal"} for s in run.waiting_signals()]
    out += [{"id": v.id, "name": v.name, "title": elements[v.name].get("name", v.name), "kind": "external",
             "topic": elements[v.name]["topic"]} for v in run.ready_user_tasks() if "topic" in elements.get(v.name, {})]
    return out


def form_values(task_data: dict[str, Any], form: list[dict[str, Any]]) -> dict[str, Any]:
    """The current values of a ready task's form fields (those its data has)."""
    ids = [f["id"] for f in form]
    return jsonable({k: task_data[k] for k in ids if k in task_data})


# -- the task projection: the stages of a step that write task rows ---------------------------------

PRIORITY = {"major": 2, "important": 1}


def close_finished(ctx: StepContext) -> None:
    """User tasks that left the ready state: their rows close (completed or cancelled), and each
    one other than the actor's own completion (already recorded) gets its event."""
    closed = []
    for task_id, c in ctx.finished_user_tasks().items():
        state = "completed" if c.new == "COMPLETED" else "cancelled"
        if task_id != ctx.acted_task:
            ctx.emit(f"task_{state}", task_id, name=c.element_id)
        if ctx.open_rows.pop(task_id, None) is not None:
            closed.append((task_id, state, ctx.now, ctx.actor.name if state == "completed" else None))
    ctx.uow.step_rows.close(closed)


def open_ready(ctx: StepContext) -> None:
    """Every ready user task has a row: new ones are written (offered to their groups, given the
    BPMN's named assignee) with a ``task_ready`` event; open ones get their deadline and values."""
    due_by_task: dict[str, datetime] = {}
    for tm in ctx.timers:
        if tm.guarded_task_id:
            due_by_task[tm.guarded_task_id] = min(tm.due, due_by_task.get(tm.guarded_task_id, tm.due))
    new, groups, kept = [], [], []
    for view in ctx.run.ready_user_tasks():
        el = ctx.elements.get(view.name, {})
        if "topic" in el:                   # an external task: engine/step/external.py
            continue
        # the earliest timer guarding the task itself or a subprocess it runs in
        due = min((due_by_task[i] for i in (view.id, *view.within) if i in due_by_task), default=None)
        values = form_values(view.data, el.get("form", []))
        row = ctx.open_rows.pop(view.id, None)
        if row is None:
            row = TaskRow(id=view.id, instance_id=ctx.instance.id, process_id=ctx.instance.process_id, name=view.name,
                       title=el.get("name") or view.title, lane=el.get("lane"),
                       candidate_groups=",".join(el.get("groups", [])), state="ready", room=ctx.instance.room,
                       priority=PRIORITY.get(str(view.data.get("severity")), 0), created_at=ctx.now,
                       assignee=el.get("assignee"), due_at=due, values=values, completed_at=None, completed_by=None)
            new.append(row)
            groups.append(el.get("groups", []))
            ctx.emit("task_ready", view.id, name=view.name, title=row.title, lane=row.lane,
                     due_at=to_iso(due) if due else None)
        else:
            # the deadline is the earliest one the task ever had: a non-interrupting deadline that
            # fired leaves the task overdue, it does not move its due time on to the next reminder
            earliest = min((d for d in (row.due_at, due) if d is not None), default=None)
            if earliest != row.due_at or values != row.values:
                row.due_at, row.values = earliest, values
                kept.append(row)
        ctx.ready.append(row)
    ctx.uow.step_rows.open(new, groups)
    ctx.uow.step_rows.refresh(kept)


def close_vanished(ctx: StepContext) -> None:
    """Rows of tasks no longer in the workflow at all (a subprocess cancelled whole) are cancelled."""
    ctx.uow.step_rows.close([(task_id, "cancelled", ctx.now, None) for task_id in ctx.open_rows])
    ctx.open_rows.clear()
