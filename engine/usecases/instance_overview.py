"""instance_overview: everything the instance page shows in one read — the instance as `wuye show`
has it, its history, the label of every data variable (the definition's label map), and the state of
each diagram element so the viewer can mark what is done, active and waiting. All of it comes from
the read projections (see engine/usecases/instances.py); no workflow is loaded."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.rules.permissions import Actor
from engine.step import runtime
from engine.step.search import labels_of as data_labels_of  # the one map of data labels (re-exported)
from engine.usecases.attachments import attachments_of
from engine.usecases.case_access import may_view_case
from engine.usecases.instances import instance_json, projected
from engine.usecases.results import event_json
from engine.usecases.runner import reads
from storage.uow import UnitOfWork


@reads
def instance_overview(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> dict[str, Any]:
    instance = runtime.get_instance(uow, instance_id)
    meta = instance.definition.meta
    may_view_case(uow, actor, instance)
    now = projected(instance, clock)
    events = [event_json(e) for e in uow.events.for_instance(instance.id)]
    return {**instance_json(uow, instance, now), "events": events, "labels": data_labels_of(meta),
            "lanes": meta.get("lanes", {}),
            "elements": {k: {"name": v.get("name"), "type": v.get("type")}
                         for k, v in meta.get("elements", {}).items()},
            "diagram": _diagram_states(now.diagram, events), "attachments": attachments_of(uow, instance.id),
            "payments": payments_recorded(events)}


def payments_recorded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payments finance recorded from the page or the API (engine/usecases/payments.py), oldest first."""
    out = []
    for e in events:
        record = e["data"] if e["type"] == "payment_recorded" else (e["data"].get("data") or {}) \
            if e["type"] == "message_delivered" else {}
        if "channel_name" in record and "receipt_no" in record:
            out.append({**record, "actor": e["actor"], "at": e["at"]})
    return out


def _diagram_states(live: dict[str, str], events: list[dict[str, Any]]) -> dict[str, str]:
    """The run's own view, plus every element the history says was completed: a long instance's
    finished history is compacted out of the SpiffWorkflow tree, never out of the event log."""
    done = {e["data"].get("name") for e in events if e["type"] in DONE_EVENTS}
    return {**{name: "completed" for name in done if name}, **live}


DONE_EVENTS = ("task_completed", "timer_fired", "message_received")


@reads
def instance_diagram_source(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> str:
    """The BPMN XML of the version the instance is pinned to, exactly as deployed."""
    instance = runtime.get_instance(uow, instance_id)
    may_view_case(uow, actor, instance)
    return instance.definition.source
