"""An error boundary event fired from outside the workflow: a worker reports a BPMN error for the
external task (service task) it guards (Camunda 7's ``/external-task/{id}/bpmnError``).

Why here: SpiffWorkflow routes an error event only from an error end event inside a subprocess to
the boundary events around it; nothing in it lets the outside say "this task ended in error X". The
boundary event waiting beside the task is found through the task's BoundaryEventSplit and made to
catch the error as SpiffWorkflow's own EventManager would; the next settle runs it, cancelling the
task (an error boundary event always interrupts)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

__all__ = ["fire_error_boundary"]


def fire_error_boundary(workflow: Any, task_id: str, boundary_id: str, payload: dict[str, Any]) -> bool:
    """Whether boundary event ``boundary_id`` (an error boundary event of the ready task ``task_id``)
    caught the error, with ``payload`` merged into its data when it runs."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (TaskNotFoundException, ValueError):
        return False
    if task is None or task.state != TaskState.READY or not isinstance(task.parent.task_spec, BoundaryEventSplit):
        return False
    for sibling in task.parent.children:
        spec = sibling.task_spec
        definition = getattr(spec, "event_definition", None)
        if (isinstance(spec, BoundaryEvent) and isinstance(definition, ErrorEventDefinition)
                and spec.bpmn_id == boundary_id and sibling.state == TaskState.WAITING):
            spec.catch(sibling, BpmnEvent(definition, payload=dict(payload)))
            spec._update(sibling)
            return True
    return False
