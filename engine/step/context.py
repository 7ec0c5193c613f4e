"""What one step's stages share: the workflow and its instance, who acted and when, what changed,
the open task rows, and the events written so far."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.rules.permissions import Actor
from engine.spiff import Change, Run, TimerView
from storage.events import EventRow
from storage.models import Instance
from storage.step_rows import TaskRow
from storage.uow import UnitOfWork


@dataclass
class StepContext:
    uow: UnitOfWork
    instance: Instance
    run: Run
    actor: Actor
    now: datetime
    changes: list[Change]
    open_rows: dict[str, TaskRow]           # task id -> its ready row, as the step found it
    timers: list[TimerView]              # the waiting timers after the step
    acted_task: str | None = None        # the user task the actor completed, if any
    submitted: dict[str, Any] | None = None
    acted_row: TaskRow | None = None        # its row, once the completion is recorded
    written: list[EventRow] = field(default_factory=list)
    ready: list[TaskRow] = field(default_factory=list)   # the ready rows after the step

    @property
    def meta(self) -> dict[str, Any]:
        return self.instance.definition.meta

    @property
    def elements(self) -> dict[str, dict[str, Any]]:
        elements: dict[str, dict[str, Any]] = self.meta.get("elements", {})
        return elements

    def emit(self, type_: str, task_id: str | None = None, **data: Any) -> None:
        """Append one event of this step to the hash-chained log."""
        self.written.append(self.uow.events.append(type=type_, actor=self.actor.name, at=self.now,
                                                   instance_id=self.instance.id, task_id=task_id, data=data))

    def is_external(self, element_id: str | None) -> bool:
        """A service/send task, which waits for a worker, not a person (engine/step/external.py)."""
        return "topic" in self.elements.get(element_id or "", {})

    def finished_user_tasks(self) -> dict[str, Change]:
        """User tasks that left the ready state in this step (completed or cancelled)."""
        return {c.task_id: c for c in self.changes
                if c.kind == "userTask" and c.old == "READY" and not self.is_external(c.element_id)}
