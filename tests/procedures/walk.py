"""A procedure walked through the engine's use cases by the demo users of its lanes, on a clock the
test moves (the driver the tests of the procedures of procedures.md §7 share).

``Walk(db, "reception.bpmn")`` deploys the file; ``start`` starts an instance as a starter group's
demo user; ``work`` has the task's lane user claim and complete it, checking first that the task is in
that user's inbox; ``set`` moves the clock and runs the timer sweep, as the worker does (``scheduled``: and says which
instances it started on a timer start event's schedule)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.clock import parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.definitions import process_versions
from engine.usecases.instances import show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import claim_task, complete_task, list_tasks
from engine.usecases.timers import fire_due_timers
from tests.support import PROCESSES, act, deploy_files
from tests.support import at as clock_at

SECOND = timedelta(seconds=1)


class Walk:
    def __init__(self, db, file: str, now: str = "2026-11-03T10:00:00+08:00"):
        self.db, self.clock = db, clock_at(now)
        deploy_files(db, PROCESSES / file, at=self.clock)

    def call(self, use_case, user: str | None, **kw: Any) -> Any:
        return act(self.db, use_case, as_=user or SYSTEM, at=self.clock, **kw)

    def start(self, process: str, data: dict[str, Any], user: str = "front_desk") -> int:
        return int(self.call(start_instance, user, process_id=process, data=data)["instance"])

    def set(self, when: str | datetime) -> list[dict]:
        """Move the clock to ``when`` and run the timer sweep."""
        self.clock.set(parse_instant(when) if isinstance(when, str) else when)
        return act(self.db, fire_due_timers, as_=None, at=self.clock)

    def scheduled(self, when: str | datetime) -> list[int]:
        """Move the clock to ``when``; the instances the timer sweep started on schedule meanwhile."""
        return [int(f["instance"]) for f in self.set(when) if f.get("scheduled_start")]

    def next_start(self, process: str) -> datetime | None:
        """When the process owner sees the process start next (``wuye versions``' next_start)."""
        found = self.call(process_versions, "process_owner", process_id=process)["next_start"]
        return parse_instant(found) if found else None

    def show(self, instance: int) -> dict:
        return self.call(show_instance, None, instance_id=instance)

    def ready(self, instance: int) -> dict[str, dict]:
        return {t["name"]: t for t in self.show(instance)["ready"]}

    def timer_due(self, instance: int, element: str) -> datetime:
        waiting = [w for w in self.show(instance)["waiting"] if w.get("name") == element]
        assert waiting, f"{element} is not waiting: {self.show(instance)['waiting']}"
        return parse_instant(waiting[0]["due_at"])

    def work(self, instance: int, name: str, data: dict[str, Any], user: str | None = None) -> dict:
        task = self.ready(instance)[name]
        user = user or task["lane"]
        assert task["id"] in {t["id"] for t in self.call(list_tasks, user, instance_id=instance)}, (name, user)
        self.call(claim_task, user, task_id=task["id"])
        return self.call(complete_task, user, task_id=task["id"], data=data)

    def violations(self, instance: int) -> list[tuple[str, str, float]]:
        return [(v["deadline"], v["responsible"], v["amount"]) for v in self.show(instance)["violations"]]
