"""Bounded work in a step (issue 14, findings 2-4), on both databases: an expression past its budget
fails the step with a clear error, stores nothing and frees the database for the other writers;
absurd timers are refused at deploy and at run time; a cycle timer far behind catches up at once."""
from __future__ import annotations

import threading
import time
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine.step.runtime import ProcessFailed
from engine.usecases.start_instance import start_instance
from storage.models import Event, Instance
from tests.support import BPMN_DIR, act, deploy_files

CPU_BOMB = "sum([sum(range(99999)) for i in range(9999)]) > 0"
MEMORY_BOMB = "len([[0]*99999 for i in range(9999)]) > 0"
NOW = "2026-11-20T09:00:00+08:00"


def gateway(condition: str, process_id: str = "gateway") -> tuple[str, bytes]:
    xml = (BPMN_DIR / "sandbox" / "gateway.bpmn").read_text(encoding="utf-8")
    xml = xml.replace("{{PAYLOAD}}", escape(condition))
    xml = xml.replace('id="gateway"', f'id="{process_id}" camunda:candidateStarterGroups="front_desk"')
    return f"{process_id}.bpmn", xml.encode()


def counts(db) -> tuple[int, int]:
    with db.uow(readonly=True) as uow:
        return (uow.session.scalar(select(func.count()).select_from(Instance)),
                uow.session.scalar(select(func.count()).select_from(Event)))


@pytest.mark.once
@pytest.mark.parametrize("bomb", [CPU_BOMB, MEMORY_BOMB], ids=["cpu", "memory"])
def test_a_bomb_condition_fails_its_start_quickly_stores_nothing_and_other_writers_proceed(db, bomb):
    deploy_files(db, gateway(bomb), BPMN_DIR / "leave_request.bpmn", at=NOW)
    before = counts(db)
    outcome: dict[str, Any] = {}

    def start_the_bomb():
        t0 = time.monotonic()
        try:
            act(db, start_instance, as_="front_desk", at=NOW, process_id="gateway", data={})
        except ProcessFailed as e:
            outcome["error"] = e.message
        finally:
            outcome["seconds"] = time.monotonic() - t0
    bomber = threading.Thread(target=start_the_bomb, daemon=True)
    bomber.start()
    time.sleep(0.2)                                         # the bomb is running (and, on SQLite, holds the lock)
    t0 = time.monotonic()
    other = act(db, start_instance, as_="front_desk", at=NOW, process_id="visit_request", data={"room": "3-2-1102"})
    other_seconds = time.monotonic() - t0
    bomber.join(timeout=15)
    assert not bomber.is_alive(), "the bomb is still running"
    assert outcome["seconds"] < 3 and other_seconds < 3
    assert "表达式超出时间预算" in str(outcome["error"]) or "表达式超出内存预算" in str(outcome["error"])
    assert "[element gw]" in str(outcome["error"]) or "gw" in str(outcome["error"])
    assert other["status"] == "running" and other["ready"]
    instances, events = counts(db)
    assert instances == before[0] + 1                       # only the other writer's instance
    assert events > before[1]
    with db.uow(readonly=True) as uow:
        assert {i.process_id for i in uow.session.scalars(select(Instance))} == {"visit_request"}
