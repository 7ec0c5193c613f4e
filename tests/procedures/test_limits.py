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

from engine.errors import BadInput
from engine.step.runtime import ProcessFailed
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from engine.usecases.timers import fire_due_timers
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


# -- timers (finding 3): bounds in years, a minimum period -------------------------------------------

def cycle_model(kind: str, text: str, process_id: str = "cycle_check") -> tuple[str, bytes]:
    """tests/bpmn/timer_cycle.bpmn (a watch task with a non-interrupting timer that spawns a nudge)
    with the timer ``kind`` (timeCycle / timeDuration) given ``text``."""
    xml = (BPMN_DIR / "timer_cycle.bpmn").read_text(encoding="utf-8")
    xml = xml.replace("<bpmn:timeCycle>R2/PT1H</bpmn:timeCycle>", f"<bpmn:{kind}>{escape(text)}</bpmn:{kind}>")
    return f"{process_id}.bpmn", xml.replace('id="cycle_check"', f'id="{process_id}"').encode()


@pytest.mark.once
@pytest.mark.parametrize(("kind", "text", "reason"), [
    ("timeDuration", "P99999999Y", "定时时长超过 10 年"), ("timeDuration", '"P99999999Y"', "定时时长超过 10 年"),
    ("timeDuration", "PT99999999999H", "定时时长超过 10 年"), ("timeCycle", "R/PT0S", "重复定时的周期 0 秒太短"),
    ("timeCycle", "'R/PT0S'", "重复定时的周期 0 秒太短"),
    ("timeCycle", "R5/2026-11-20T09:00:00+08:00/PT10S", "周期 10 秒太短")])
def test_an_absurd_timer_is_refused_at_deploy_naming_the_bound_and_nothing_is_stored(db, kind, text, reason):
    before = counts(db)
    with pytest.raises(BadInput) as refused:
        deploy_files(db, cycle_model(kind, text), at=NOW)
    assert reason in refused.value.message and "every_hour" in refused.value.message
    assert counts(db) == before


@pytest.mark.parametrize(("kind", "expression", "data", "reason"), [
    ("timeDuration", "'P' + str(years) + 'Y'", {"years": 99999999}, "定时时长超过 10 年"),
    ("timeCycle", "'R/PT' + str(seconds) + 'S'", {"seconds": 0}, "重复定时的周期 0 秒太短")])
def test_an_absurd_timer_an_expression_computes_fails_its_step_at_once_with_the_bound(db, kind, expression, data,
                                                                                     reason):
    deploy_files(db, cycle_model(kind, expression), at=NOW)
    before = counts(db)
    t0 = time.monotonic()
    with pytest.raises(ProcessFailed) as failed:
        act(db, start_instance, as_="dispatcher", at=NOW, process_id="cycle_check", data=data)
    assert time.monotonic() - t0 < 3
    assert reason in failed.value.message and failed.value.http_status == 422
    assert counts(db) == before


# -- instances that wedged (finding 4) ------------------------------------------------------------------

def test_a_cycle_timer_months_behind_catches_up_in_one_sweep_as_one_event_with_a_count(db):
    deploy_files(db, cycle_model("timeCycle", "R/PT1H"), at=NOW)
    started = act(db, start_instance, as_="dispatcher", at=NOW, process_id="cycle_check", data={})
    months_later = "2027-02-20T09:30:00+08:00"                       # 92 days later: the server was down
    t0 = time.monotonic()
    fired = act(db, fire_due_timers, as_=None, at=months_later)
    assert time.monotonic() - t0 < 5
    assert [f["timer"] for f in fired] == ["every_hour"]
    events = act(db, history, at=months_later, instance_id=started["instance"])
    (event,) = [e for e in events if e["type"] == "timer_fired"]
    assert event["data"]["count"] == 92 * 24                          # 10:00 on 20 Nov to 09:00 on 20 Feb
    shown = act(db, show_instance, at=months_later, instance_id=started["instance"])
    assert shown["error"] is None and sorted(t["name"] for t in shown["ready"]) == ["nudge", "watch"]
    assert shown["waiting"][0]["due_at"] == "2027-02-20T10:00:00+08:00"       # the next hour, not 2,208 of them
    watch = next(t for t in shown["ready"] if t["name"] == "watch")
    done = act(db, complete_task, as_="dispatcher", at=months_later, task_id=watch["id"], data={})
    assert done["status"] in ("running", "completed")                 # completing it by hand works


def test_a_cycle_created_far_behind_its_start_settles_within_the_step(db):
    """An appointment typed in the past made such a cycle (C6: 'R/' + agreed time + '/PT24H'): 3,441
    periods owed when it is reached. It fires once for them, and the step settles."""
    deploy_files(db, cycle_model("timeCycle", "R/2026-07-01T00:00:00+08:00/PT1H"), at=NOW)
    t0 = time.monotonic()
    started = act(db, start_instance, as_="dispatcher", at=NOW, process_id="cycle_check", data={})
    assert time.monotonic() - t0 < 5
    assert sorted(t["name"] for t in started["ready"]) == ["nudge", "watch"]
    shown = act(db, show_instance, at=NOW, instance_id=started["instance"])
    assert shown["error"] is None and shown["waiting"][0]["due_at"] == "2026-11-20T09:00:00+08:00"   # due, not past
