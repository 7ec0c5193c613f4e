"""show_instance and history: what an instance is now, and everything that happened to it.

What an instance is now comes from the read projections every step writes beside the state
(``Instance.data``, ``.waiting``, ``.diagram``; ``Task.values``), so showing an instance never loads
its workflow. An instance last stepped before those columns existed (migration 0004) has them NULL
until its next step: :func:`projected` then loads its workflow once and derives the same values
the step would have written."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.clock import Clock
from engine.rules.letters import letter_json
from engine.rules.permissions import Actor
from engine.spiff.run import Run
from engine.step import projection, runtime
from engine.step.calendar import calendar_for
from engine.usecases.case_access import may_view_case
from engine.usecases.results import event_json, instance_summary, task_json, violation_json
from engine.usecases.runner import reads
from storage.models import Instance, Task
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Projected:
    """An instance's process data, what it waits for and its diagram states; ``run`` is the
    workflow when it had to be loaded (NULL projections), else None."""
    data: dict[str, Any]
    waiting: list[dict[str, Any]]
    diagram: dict[str, str]
    run: Run | None = None

    def task_values(self, row: Task, form: list[dict[str, Any]]) -> dict[str, Any]:
        """A ready task's current form values: its projection, else from the loaded workflow."""
        if row.values is not None:
            return dict(row.values)
        return projection.form_values(self.run.task_data(row.id), form) if self.run is not None else {}


def projected(instance: Instance, clock: Clock, *, task: Task | None = None) -> Projected:
    """The instance's read projections (and, with ``task``, that ready task's values); the workflow
    is loaded once only when one of them was never written."""
    data, waiting, diagram = instance.data, instance.waiting, instance.diagram
    missing_values = task is not None and task.state == "ready" and task.values is None
    if data is not None and waiting is not None and diagram is not None and not missing_values:
        return Projected(data, waiting, diagram)
    run = runtime.load_run(instance, clock)
    elements = instance.definition.meta.get("elements", {})
    return Projected(projection.jsonable(run.data), projection.waiting_of(run, elements), run.element_states(), run)


@reads
def show_instance(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> dict[str, Any]:
    instance = runtime.get_instance(uow, instance_id)
    may_view_case(uow, actor, instance)
    return instance_json(uow, instance, projected(instance, clock))


def instance_json(uow: UnitOfWork, instance: Instance, now: Projected) -> dict[str, Any]:
    """`wuye show`'s shape: the summary, tasks, what it waits for, data, violations, letters."""
    meta = instance.definition.meta
    tasks = uow.tasks.for_instance(instance.id)
    calendar = calendar_for(uow)
    return {**instance_summary(instance),
            "ready": [task_json(t, meta, calendar) for t in tasks if t.state == "ready"],
            "waiting": now.waiting,
            "done": [task_json(t, meta, calendar) for t in tasks if t.state != "ready"],
            "data": now.data,
            "violations": [violation_json(v) for v in uow.violations.for_instance(instance.id)],
            "letters": [letter_json(x) for x in uow.letters.for_instance(instance.id)]}


@reads
def history(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> list[dict[str, Any]]:
    instance = runtime.get_instance(uow, instance_id)
    may_view_case(uow, actor, instance)
    return [event_json(e) for e in uow.events.for_instance(instance.id)]
