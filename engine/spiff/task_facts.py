"""What a SpiffWorkflow task is, read in our words: its state's name, the cycles a cycle timer has
left, the subprocesses it runs inside, the timer an event-based gateway waits for, its kind, and a
timer's due time. Only ``engine/spiff/run.py`` uses them."""
from __future__ import annotations

from datetime import UTC
from datetime import datetime as _datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

SpiffTask = Any          # SpiffWorkflow.task.Task
SpiffSpec = Any          # SpiffWorkflow.specs.base.TaskSpec


def state_name(state: int | None) -> str | None:
    return None if state is None else str(TaskState.get_name(state))


def cycles_left(task: SpiffTask) -> int | None:
    value = task.internal_data.get("event_value")
    return value.get("cycles") if isinstance(value, dict) and isinstance(value.get("cycles"), int) else None


def enclosing(task: SpiffTask) -> tuple[str, ...]:
    """The subprocess tasks ``task`` runs inside, innermost first: a boundary timer on a subprocess
    (move_in's MI1 on 建立业主档案) is the deadline of every user task within it."""
    out: list[str] = []
    wf = task.workflow
    while isinstance(wf, BpmnSubWorkflow):
        out.append(str(wf.parent_task_id))
        wf = wf.top_workflow.get_task_from_id(wf.parent_task_id).workflow
    return tuple(out)


def gateway_timer(spec: SpiffSpec) -> str | None:
    """The timer an event-based gateway waits for (SpiffWorkflow moves its branches' event
    definitions onto the gateway, which waits in their place): that branch's element id."""
    if not isinstance(spec, EventBasedGateway):
        return None
    for i, definition in enumerate(spec.event_definition.event_definitions):
        if isinstance(definition, TimerEventDefinition) and i < len(spec.outputs):
            return str(spec.outputs[i].bpmn_id)
    return None


def kind_of(spec: SpiffSpec) -> str:
    """What a task is, in the words events use: userTask, timer, message, endEvent, or the class (a
    branch of an event-based gateway is a timer when the gateway waited for its timer)."""
    if getattr(spec, "manual", False):
        return "userTask"
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return "timer"
    if spec.bpmn_id and any(gateway_timer(parent) == spec.bpmn_id for parent in getattr(spec, "inputs", [])):
        return "timer"
    if isinstance(definition, MessageEventDefinition):
        return "message"
    return type(spec).__name__


def due_of(value: Any) -> _datetime | None:
    if isinstance(value, dict):           # cycle timers: {'cycles', 'next', 'duration'}
        value = value.get("next") if value.get("cycles") else None
    if not value:
        return None
    try:
        due = _datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return due if due.tzinfo else due.replace(tzinfo=UTC)
