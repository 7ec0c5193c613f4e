"""The timer loop's scene, shared by test_timer_loop.py and test_multi_worker.py: the process
tests/bpmn/timers/loop_deadline.bpmn (a deadline at the instance's ``due``; an escalation script that
fails until ``recover_at``), instances of it, and what the log says fired."""
from __future__ import annotations

import time
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from engine.clock import FixedClock, parse_instant, to_iso
from engine.usecases.audit import verify_audit
from engine.usecases.start_instance import start_instance
from storage.models import Event
from tests.support import BPMN_DIR, act, deploy_files

T0 = parse_instant("2031-03-03T09:00:00+08:00")
PROCESS_FILE = BPMN_DIR / "timers" / "loop_deadline.bpmn"
HEALTHY = "2000-01-01"      # recover_at in the past: the escalation script never fails


def deploy_loop_process(db, clock) -> None:
    deploy_files(db, PROCESS_FILE, at=clock)


def start_instances(db, clock, dues: list[datetime], recover_at: str = HEALTHY) -> list[int]:
    """One instance per due time, each started by the dispatcher through the start use case."""
    return [act(db, start_instance, as_="dispatcher", at=clock, process_id="loop_deadline",
                data={"due": to_iso(due), "recover_at": recover_at})["instance"] for due in dues]


def timer_fired_counts(db) -> dict[int, int]:
    with db.uow(readonly=True) as uow:
        rows = uow.session.execute(select(Event.instance_id, func.count()).where(Event.type == "timer_fired")
                                   .group_by(Event.instance_id)).all()
    return dict(rows)


def event_types(db, instance_id: int) -> list[str]:
    with db.uow(readonly=True) as uow:
        return [e.type for e in uow.events.for_instance(instance_id)]


def instance_row(db, instance_id: int) -> SimpleNamespace:
    with db.uow(readonly=True) as uow:
        i = uow.instances.get(instance_id)
        return SimpleNamespace(status=i.status, error=i.error, retries=i.retries, next_timer_at=i.next_timer_at)


def audit_ok(db) -> bool:
    return act(db, verify_audit, at=FixedClock(T0))["ok"]


def wait_until(predicate, timeout: float, what: str) -> None:
    """Real waiting, for the loop's wake-up mechanics only; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
