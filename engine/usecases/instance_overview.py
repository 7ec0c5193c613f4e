"""instance_overview: everything the instance page shows in one read — the instance as `wuye show`
has it, its history, the label of every data field the process's forms declare, and the state of
each diagram element so the viewer can mark what is done, active and waiting."""
from __future__ import annotations

from engine import runtime
from engine.clock import Clock
from engine.permissions import Actor, may_view
from engine.usecases.instances import history, show_instance
from storage.uow import UnitOfWork


def field_labels(meta: dict) -> dict[str, dict]:
    """field id -> {"label", "options": {option id: name}} from the start form and every task form."""
    out: dict[str, dict] = {}
    forms = [meta.get("start_form", [])] + [el.get("form", []) for el in meta.get("elements", {}).values()]
    for form in forms:
        for f in form:
            entry = out.setdefault(f["id"], {"label": f.get("label") or f["id"], "type": f.get("type"), "options": {}})
            entry["options"].update({o["id"]: o["name"] for o in f.get("options", [])})
    return out


def instance_overview(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> dict:
    shown = show_instance(uow, actor=actor, clock=clock, instance_id=instance_id)
    instance = runtime.get_instance(uow, instance_id)
    meta = instance.definition.meta
    events = history(uow, actor=actor, clock=clock, instance_id=instance_id)
    return {**shown, "events": events, "labels": field_labels(meta), "lanes": meta.get("lanes", {}),
            "elements": {k: {"name": v.get("name"), "type": v.get("type")} for k, v in meta.get("elements", {}).items()},
            "diagram": _diagram_states(runtime.load_run(instance, clock).element_states(), events)}


def _diagram_states(live: dict[str, str], events: list[dict]) -> dict[str, str]:
    """The run's own view, plus every element the history says was completed: a long instance's
    finished history is compacted out of the SpiffWorkflow tree, never out of the event log."""
    done = {e["data"].get("name") for e in events if e["type"] in DONE_EVENTS}
    return {**{name: "completed" for name in done if name}, **live}


DONE_EVENTS = ("task_completed", "timer_fired", "message_received")


def instance_diagram_source(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> str:
    """The BPMN XML of the version the instance is pinned to, exactly as deployed."""
    instance = runtime.get_instance(uow, instance_id)
    may_view(actor, instance.definition.meta)
    return instance.definition.source
