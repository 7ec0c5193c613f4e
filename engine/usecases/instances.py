"""show_instance and history: what an instance is now, and everything that happened to it."""
from __future__ import annotations

from engine.step import runtime
from engine.clock import Clock, to_iso
from engine.rules.permissions import SYSTEM, Actor, may_view
from engine.rules.letters import letter_json
from engine.usecases.results import event_json, instance_summary, task_json, violation_json
from storage.uow import UnitOfWork
from engine.usecases.runner import reads


@reads
def show_instance(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> dict:
    instance = runtime.get_instance(uow, instance_id)
    meta = instance.definition.meta
    if actor is not SYSTEM:
        may_view(actor, meta)
    run = runtime.load_run(instance, clock)
    elements = meta.get("elements", {})
    waiting = [{"id": t.task_id, "name": t.element_id, "title": elements.get(t.element_id, {}).get("name", t.element_id),
                "kind": "timer", "due_at": to_iso(t.due), "guards": t.guarded_task_id, "interrupting": t.interrupting,
                "deadline": (elements.get(t.element_id, {}).get("properties") or {}).get("deadline")}
               for t in sorted(run.waiting_timers(), key=lambda t: t.due)]
    waiting += [{"name": m, "kind": "message"} for m in run.waiting_messages()]
    tasks = uow.tasks.for_instance(instance.id)
    return {**instance_summary(instance),
            "ready": [task_json(t, meta) for t in tasks if t.state == "ready"],
            "waiting": waiting,
            "done": [task_json(t, meta) for t in tasks if t.state != "ready"],
            "data": _jsonable(run.data),
            "violations": [violation_json(v) for v in uow.violations.for_instance(instance.id)],
            "letters": [letter_json(x) for x in uow.letters.for_instance(instance.id)]}


@reads
def history(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> list[dict]:
    instance = runtime.get_instance(uow, instance_id)
    if actor is not SYSTEM:
        may_view(actor, instance.definition.meta)
    return [event_json(e) for e in uow.events.for_instance(instance.id)]


def _jsonable(data: dict) -> dict:
    from datetime import date, datetime
    out = {}
    for k, v in data.items():
        if isinstance(v, datetime):
            v = to_iso(v)
        elif isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, dict):
            v = _jsonable(v)
        out[k] = v
    return out
