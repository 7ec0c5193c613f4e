"""The case beside a task (its page) and on each inbox card: the summary the process's BPMN lists
(engine/rules/case.py), and on the task page the steps so far with their notes.

Owners' phones are personal data (PIPL): a card is a list, so its phones are always masked; the
task page shows them in full only to someone who works on the case (started it, holds or did one
of its tasks, or is in a group one of its open tasks is offered to)."""
from __future__ import annotations

from typing import Any

from engine.rules.case import case_card, step_notes
from engine.rules.permissions import Actor
from engine.step.search import labels_of as data_labels_of
from storage.models import Instance, Task
from storage.uow import UnitOfWork

STEP_EVENTS = ("instance_started", "task_completed", "timer_fired", "message_received")


def works_on_case(actor: Actor, instance: Instance, tasks: list[Task]) -> bool:
    if actor.name == instance.started_by:
        return True
    for t in tasks:
        if actor.name in (t.assignee, t.completed_by):
            return True
        if t.state == "ready" and actor.working_groups & {g for g in t.candidate_groups.split(",") if g}:
            return True
    return False


def case_of(uow: UnitOfWork, actor: Actor, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """The task page's case: who and what (phones in full for those who work on it) and the steps."""
    meta = instance.definition.meta
    labels = data_labels_of(meta)
    spec = meta.get("case")
    full = works_on_case(actor, instance, uow.tasks.for_instance(instance.id))
    phones = spec["phones"] if spec else []
    elements = meta.get("elements", {})
    steps = []
    for e in uow.events.for_instance(instance.id):
        if e.type not in STEP_EVENTS:
            continue
        name = e.data.get("name")
        title = "受理登记" if e.type == "instance_started" else elements.get(name, {}).get("name") or name or e.type
        steps.append({"type": e.type, "title": title, "actor": e.actor, "at": e.at,
                      "notes": step_notes(e.data.get("data") or {}, labels, hidden=phones)
                      if e.type == "task_completed" else []})
    return {**case_card(spec, data, labels, full=full), "full": full, "steps": steps, "labels": labels}


def case_cards(uow: UnitOfWork, tasks: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """instance id -> its card summary (masked), for a page of inbox tasks: one read of their data."""
    ids = list(dict.fromkeys(t["instance"] for t in tasks))
    if not ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    metas: dict[int, dict[str, Any]] = {}
    for instance_id, definition_id, data in uow.instances.data_of(ids):
        if definition_id not in metas:
            definition = uow.definitions.get(definition_id)
            metas[definition_id] = definition.meta if definition is not None else {}
        meta = metas[definition_id]
        out[instance_id] = {**case_card(meta.get("case"), data or {}, data_labels_of(meta), full=False),
                            "labels": data_labels_of(meta)}
    return out
