"""An instance's history for the quality group and supervisors (issue 10), and the step-through replay.

Everything here is rebuilt from the recorded event log, never from the instance's current state:
the data "as it was" at an event is the start data with every submitted form and delivered message
folded in, in their order; the diagram at an event marks the elements the log says were completed,
the user tasks ready then (active) and the boundary events armed on them (waiting). A data change is
a field a completion or message set to a value other than the one it had before."""
from __future__ import annotations

from typing import Any

from engine.clock import SHANGHAI, Clock
from engine.rules.permissions import Actor, may_read_history
from engine.step import runtime
from engine.step.search import labels_of as data_labels_of
from engine.usecases.instance_overview import DONE_EVENTS
from engine.usecases.results import event_json, instance_summary, violation_json
from engine.usecases.runner import reads
from storage.models import Event
from storage.uow import UnitOfWork

TYPE_NAMES = {
    "instance_started": "发起流程", "task_ready": "任务待办", "task_claimed": "认领任务",
    "task_unclaimed": "退回任务", "task_assigned": "分派任务", "task_completed": "完成任务",
    "task_cancelled": "任务取消", "timer_fired": "定时触发", "message_delivered": "收到消息",
    "message_received": "消息到达流程", "violation": "超时违规", "letter_issued": "发出函件",
    "instance_completed": "流程结束", "instance_cancelled": "流程取消", "instance_error": "流程出错",
    "migrated": "迁移版本", "incident": "异常", "incident_resolved": "异常解除",
    "external_task_created": "外部任务", "external_task_completed": "外部任务完成",
    "external_task_bpmn_error": "外部任务业务错误", "signal_received": "收到信号",
}
# the filters the history page offers: a name and the event types it shows
FILTERS = {
    "tasks": ("任务", ("task_ready", "task_claimed", "task_unclaimed", "task_assigned", "task_completed",
                      "task_cancelled")),
    "data": ("数据变更", ("instance_started", "task_completed", "message_delivered")),
    "deadlines": ("时限与违规", ("timer_fired", "violation")),
    "messages": ("消息与函件", ("message_delivered", "message_received", "letter_issued")),
}


def _inputs(ev: Event) -> dict[str, Any]:
    """The process data an event brought in: start data, a completion's form, a message's payload."""
    found: Any = {}
    if ev.type == "instance_started" or ev.type == "task_completed" or ev.type == "message_delivered":
        found = ev.data.get("data")
    return dict(found) if isinstance(found, dict) else {}


def _local(ev: Event) -> str:
    return ev.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@reads
def instance_history(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int,
                     only: str | None = None) -> dict[str, Any]:
    """Every event of the instance with who (user name and real name), when (with the year), which
    task, the data submitted and the values before and after; ``only`` is one of FILTERS, or all.
    ``steps`` has, per event, the data and diagram states as they were right after it."""
    instance = runtime.get_instance(uow, instance_id)
    meta = instance.definition.meta
    may_read_history(actor, meta)
    elements: dict[str, dict[str, Any]] = meta.get("elements", {})
    labels = data_labels_of(meta)
    names = uow.users.display_names()
    titles: dict[str, str] = {}
    data: dict[str, Any] = {}
    done: set[str] = set()
    ready: dict[str, str] = {}               # task id -> element id, for the tasks ready at that point
    events, steps = [], []
    for ev in uow.events.for_instance(instance.id):
        element = str(ev.data.get("name") or "")
        if ev.task_id and element:
            titles.setdefault(ev.task_id, str(ev.data.get("title") or elements.get(element, {}).get("name")
                                              or element))
        changes = []
        for key, value in _inputs(ev).items():
            if data.get(key) != value:
                changes.append({"field": key, "label": _label(labels, key), "before": data.get(key),
                                "after": value})
            data[key] = value
        if ev.type == "task_ready" and ev.task_id:
            ready[ev.task_id] = element
        elif ev.type in ("task_completed", "task_cancelled") and ev.task_id:
            ready.pop(ev.task_id, None)
        if ev.type in DONE_EVENTS and element:
            done.add(element)
        finished = ev.type in ("instance_completed", "instance_cancelled")
        active = set() if finished else set(ready.values())
        waiting = set() if finished else {k for k, el in elements.items() if el.get("attached_to") in active}
        diagram = {**dict.fromkeys(done, "completed"), **dict.fromkeys(waiting - done, "waiting"),
                   **dict.fromkeys(active, "active")}
        row = {**event_json(ev), "type_name": TYPE_NAMES.get(ev.type, ev.type), "local_at": _local(ev),
               "actor_name": names.get(ev.actor, ev.actor), "task_title": titles.get(ev.task_id or "", ""),
               "element": element or None, "changes": changes}
        steps.append({"seq": ev.seq, "data": dict(data), "diagram": diagram})
        events.append(row)
    wanted = FILTERS[only][1] if only in FILTERS else None
    shown = [e for e in events if wanted is None or e["type"] in wanted]
    if only == "data":
        shown = [e for e in shown if e["changes"]]
    return {**instance_summary(instance), "events": shown, "all_events": len(events), "steps": steps,
            "timeline": events, "labels": {k: _label(labels, k) for k in data},
            "violations": [{**violation_json(v), "responsible_name": names.get(v.responsible, v.responsible)}
                           for v in uow.violations.for_instance(instance.id)],
            "filters": {k: v[0] for k, v in FILTERS.items()}, "show": only if only in FILTERS else None}


def _label(labels: dict[str, Any], key: str) -> str:
    found = labels.get(key)
    if isinstance(found, dict):
        return str(found.get("label") or found.get("name") or key)
    return str(found or key)
