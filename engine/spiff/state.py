"""Stored state: our serializer (the workflow without its spec), the restored-spec cache, and
compaction of a long instance's finished history.

The spec is not stored with each instance's state: it comes from our own immutable definitions,
restored once per (definition id, content hash). State of any other serializer version is refused
(older versions run ``eval`` in their migrations): upgrades go through SpiffWorkflow's migrations,
on purpose."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.spiff.specs import PassThroughTask

# SpiffWorkflow is untyped: its specs and workflows are Any here, JSON-shaped dicts are dict[str, Any].
Spec = Any
Json = dict[str, Any]


class _StateConverter(BpmnWorkflowConverter):  # the untyped library's class, subclassed: its hooks are ours
    """Workflow state without the spec: the spec is ours, stored once per definition version."""

    def to_dict(self, workflow: BpmnWorkflow) -> Json:
        dct: Json = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: Json) -> BpmnWorkflow:
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _TaskConverter(TaskConverter):  # the untyped library's class, subclassed
    """A finished task's stored form, made once. A step saves the whole tree, but only the few tasks
    it touched changed: a COMPLETED or CANCELLED task is never run or given data again, so its dict
    is kept on the task and reused while what it is made of stays the same (state, when the state
    last changed, parent and children: compaction re-roots the tree, a loop adds children). Unfinished
    tasks (ready, waiting: their data and a timer's internal data change in place) are made anew
    each time. A workflow loaded from stored state starts with none kept.

    The same holds for a predicted task (future, likely, maybe: the path ahead, most of a long
    process's tree) under a predicted parent while neither holds any data: its stored form is then
    made only of what the key below names (its delta against the parent's empty data is empty), and
    is kept too. A predicted task under a running one is made anew: its delta is taken against the
    parent's data, which changes in place."""

    def to_dict(self, task: Task) -> Json:
        return self._kept(task, key) if (key := _stable_key(task)) is not None else self._made(task)

    def _made(self, task: Task) -> Json:
        made: Json = super().to_dict(task)
        return made

    def _kept(self, task: Task, key: tuple[Any, ...]) -> Json:
        kept = task.__dict__.get("_wuye_stored")
        if kept is not None and kept[0] == key:
            found: Json = kept[1]
            return found
        made = self._made(task)
        task._wuye_stored = (key, made)
        return made


def _stable_key(task: Task) -> tuple[Any, ...] | None:
    """What a task's stored form is made of, when that is all it is made of (see _TaskConverter);
    None for a task whose form must be made anew."""
    if task.has_state(TaskState.FINISHED_MASK):
        return (task.state, task.last_state_change, task._parent, len(task._children))
    parent = task.parent
    if (parent is None or not task.has_state(_PREDICTED) or not parent.has_state(_PREDICTED)
            or task.data or task.internal_data or parent.data):
        return None
    return (task.state, task.last_state_change, task._parent, tuple(task._children), task.triggered,
            parent.state, parent.last_state_change)


_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE


_CONFIG = {**CAMUNDA_CONFIG, PassThroughTask: BpmnTaskSpecConverter, BpmnWorkflow: _StateConverter,
           Task: _TaskConverter}
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
SERIALIZER_VERSION = _SERIALIZER.VERSION


class StateRefused(Exception):
    """Stored state we will not load (another serializer version, or not ours)."""


def spec_to_dict(spec: Spec, subprocess_specs: dict[str, Spec]) -> Json:
    """The JSON form of a parsed process, stored with its definition version."""
    blob = {"spec": _SERIALIZER.to_dict(spec),
            "subprocess_specs": {k: _SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
            "serializer_version": SERIALIZER_VERSION}
    stored: Json = json.loads(json.dumps(blob))
    return stored


@dataclass(frozen=True)
class ProcessSpec:
    spec: Spec
    subprocess_specs: dict[str, Spec]


_SPECS: dict[tuple[int, str], ProcessSpec] = {}


def load_spec(definition_id: int, content_hash: str, blob: Callable[[], Json | None]) -> ProcessSpec:
    """Definitions are immutable, so a restored spec is cached per (definition id, content hash);
    ``blob`` is called only on a miss, so the stored JSON is not even read from the database then."""
    key = (definition_id, content_hash)
    spec = _SPECS.get(key)
    if spec is None:
        data = blob() or {}
        if data.get("serializer_version") != SERIALIZER_VERSION:
            raise StateRefused(f"definition {definition_id} was stored by serializer {data.get('serializer_version')}")
        spec = ProcessSpec(_SERIALIZER.from_dict(data["spec"]),
                           {k: _SERIALIZER.from_dict(v) for k, v in data["subprocess_specs"].items()})
        if len(_SPECS) > 512:
            _SPECS.clear()
        _SPECS[key] = spec
    return spec



def load_workflow(spec: ProcessSpec, state: str) -> BpmnWorkflow:
    """A workflow restored from stored state (ours: refused if another serializer wrote it)."""
    dct = json.loads(state)
    if dct.pop(_SERIALIZER.VERSION_KEY, None) != SERIALIZER_VERSION:
        raise StateRefused("stored state has another serializer version")
    dct["spec"], dct["subprocess_specs"] = spec.spec, spec.subprocess_specs
    return _SERIALIZER.from_dict(dct)


def dump_workflow(wf: BpmnWorkflow) -> str:
    """The state to store: compacted, without the spec."""
    compact(wf)
    state: str = _SERIALIZER.serialize_json(wf)
    return state


def compact(wf: BpmnWorkflow, above: int = 40, keep_levels: int = 12) -> int:
    """Drop finished history from the front of the task tree; returns how many tasks went.

    SpiffWorkflow keeps every task ever created, so a looping instance's state (and the cost of
    every load, step and save) grows with its age. Our event log is the history; the tree only
    needs what is still alive plus enough ancestors for joins and gateways to find their splits.
    So once the tree is large, the root moves down to a completed task ``keep_levels`` above the
    deepest common ancestor of every unfinished task; everything outside its subtree is gone."""
    if len(wf.tasks) <= above:
        return 0
    live = [t for t in wf.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not live:
        return 0
    path: list[Any] = []
    node = live[0]
    while node is not None:
        path.append(node)
        node = node.parent
    path.reverse()
    position = {t.id: i for i, t in enumerate(path)}
    deepest = len(path) - 1
    for t in live[1:]:
        while t is not None and t.id not in position:
            t = t.parent
        deepest = min(deepest, position[t.id] if t is not None else 0)
    cut = deepest - keep_levels
    if cut <= 0 or not path[cut].has_state(TaskState.COMPLETED):
        return 0
    root = path[cut]
    keep: set[UUID] = set()
    stack = [root]
    while stack:
        t = stack.pop()
        keep.add(t.id)
        stack.extend(t.children)
    dropped = [tid for tid in wf.tasks if tid not in keep]
    for tid in dropped:
        del wf.tasks[tid]
    root._parent = None
    wf.task_tree = root
    if wf.last_task is not None and wf.last_task.id not in keep:
        wf.last_task = root
    return len(dropped)
