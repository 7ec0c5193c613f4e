"""Carrying a waiting instance's stored state over to another version of its process.

SpiffWorkflow 3.2 has no migration of its own: a stored task names its spec (``task_spec``), and
loading looks that name up in whatever spec it is given (``task_specs.get``: a name that is gone
gives a task with no spec, which fails later, somewhere). So we refuse what it cannot carry before
loading, and reshape only what is safe:

- every task that was reached (waiting, ready, completed, ...) must name a spec the target has,
  of the same kind (a user task stays a user task, a timer stays a timer);
- tasks that were only predicted (FUTURE, LIKELY, MAYBE: the road ahead as the old diagram drew
  it) are dropped, and every ready or waiting task predicts its road again on the target;
- a subprocess that is running must exist in the target with every reached task of its own.

What passes is then loaded, re-predicted and dumped for real: a failure there is a refusal too,
with SpiffWorkflow's own reason, and nothing is stored (the caller saves only what this returns)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.spiff.run import Run
from engine.spiff.state import Json, ProcessSpec, load_workflow

__all__ = ["Carried", "carry_state"]

_NOT_REACHED = TaskState.FUTURE | TaskState.PREDICTED_MASK
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class Carried:
    """The outcome of trying: the state to store (None when refused), the reasons it was refused,
    and the elements the instance stands at (ready or waiting)."""
    state: str | None
    reasons: list[str]
    active: list[str]


def _kind(spec: Any) -> str:
    return type(spec).__name__


def _label(spec: Any, name: str) -> str:
    bpmn_id = getattr(spec, "bpmn_id", None)
    return bpmn_id or name


def _check_tasks(tasks: Json, source_specs: dict[str, Any], target_specs: dict[str, Any], where: str) -> list[str]:
    reasons = []
    for t in tasks.values():
        if t["state"] & _NOT_REACHED:
            continue
        name = t["task_spec"]
        old = source_specs.get(name)
        new = target_specs.get(name)
        what = _label(old, name)
        if new is None:
            live = "正在进行的" if t["state"] & _LIVE else "已经过的"
            reasons.append(f"{where}{live}步骤 {what} 在目标版本中不存在 "
                           f"(element {what} is gone from the target version)")
        elif old is not None and _kind(old) != _kind(new):
            reasons.append(f"{where}步骤 {what} 的类型由 {_kind(old)} 变为 {_kind(new)} "
                           f"(element {what} changed type)")
    return reasons


def _prune(tasks: Json, target_specs: dict[str, Any]) -> None:
    """Drop every predicted task (and what hangs under it) whose parent was reached: the reached
    tasks predict their road again on the target."""
    def drop(task_id: str) -> None:
        t = tasks.pop(task_id, None)
        if t is not None:
            for child in t.get("children", []):
                drop(child)

    for task_id, t in list(tasks.items()):
        if task_id not in tasks or t["state"] & _NOT_REACHED:
            continue
        keep = []
        for child in t.get("children", []):
            c = tasks.get(child)
            if c is not None and c["state"] & _NOT_REACHED:
                drop(child)
            else:
                keep.append(child)
        t["children"] = keep


def _active(dct: Json, source: ProcessSpec) -> list[str]:
    specs = dict(source.spec.task_specs)
    for sub in source.subprocess_specs.values():
        specs.update(sub.task_specs)
    tasks = list(dct["tasks"].values()) + [t for sub in dct.get("subprocesses", {}).values()
                                           for t in sub["tasks"].values()]
    names = (getattr(specs.get(t["task_spec"]), "bpmn_id", None) for t in tasks if t["state"] & _LIVE)
    return sorted({n for n in names if n})


def carry_state(state: str, source: ProcessSpec, target: ProcessSpec, script_engine: Any) -> Carried:
    """The stored ``state`` (of ``source``) as the ``target`` version would have it, or the reasons not."""
    dct = json.loads(state)
    active = _active(dct, source)
    reasons = _check_tasks(dct["tasks"], source.spec.task_specs, target.spec.task_specs, "")
    for sub in dct.get("subprocesses", {}).values():
        name = sub.get("spec")
        old, new = source.subprocess_specs.get(name), target.subprocess_specs.get(name)
        if new is None:
            reasons.append(f"正在进行的子流程 {name} 在目标版本中不存在 (running subprocess {name} is gone)")
            continue
        reasons += _check_tasks(sub["tasks"], old.task_specs if old is not None else {}, new.task_specs,
                                f"子流程 {name} 中")
    if reasons:
        return Carried(None, reasons, active)
    _prune(dct["tasks"], target.spec.task_specs)
    for sub in dct.get("subprocesses", {}).values():
        _prune(sub["tasks"], target.subprocess_specs[sub["spec"]].task_specs)
    try:
        workflow = load_workflow(target, json.dumps(dct))
        run = Run(workflow, script_engine)
        for task in list(run._tasks()):
            if task.has_state(_LIVE):
                task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
        return Carried(run.dump(), [], active)
    except (WorkflowException, KeyError, AttributeError, TypeError) as e:
        return Carried(None, [f"SpiffWorkflow 无法把此实例的状态带到目标版本 (SpiffWorkflow cannot carry the "
                              f"state: {type(e).__name__}: {e})"], active)
