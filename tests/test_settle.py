"""Settling a workflow: a sweep that comes late fires every period a cycle timer owes, in one step."""
from datetime import timedelta

from conftest import BPMN_DIR

from engine.clock import FixedClock, parse_instant
from engine.permissions import SYSTEM
from engine.runtime import actor_for
from engine.usecases.deploy import deploy
from engine.usecases.instances import show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.timers import fire_due_timers


def test_a_sweep_three_and_a_half_hours_late_fires_three_cycles_and_records_three_violations(sqlite_db):
    db, clock = sqlite_db, FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))
    with db.uow() as uow:
        deploy(uow, actor=SYSTEM, clock=clock,
               files=[("feedback_cycle.bpmn", (BPMN_DIR / "feedback_cycle.bpmn").read_bytes())])
        instance = start_instance(uow, actor=actor_for(uow, "engineering"), clock=clock,
                                  process_id="feedback_cycle", data={})["instance"]
        uow.commit()
    clock.advance(timedelta(hours=3, minutes=30))
    fired = fire_due_timers(db.uow, clock=clock)
    assert [f["timer"] for f in fired] == ["every_hour"] * 3
    assert fire_due_timers(db.uow, clock=clock) == []              # nothing owed any more
    with db.uow(readonly=True) as uow:
        shown = show_instance(uow, actor=SYSTEM, clock=clock, instance_id=instance)
    assert sorted(t["name"] for t in shown["ready"]) == ["feedback"] * 3 + ["work"]
    assert [v["deadline"] for v in shown["violations"]] == ["C6"] * 3
    assert shown["error"] is None
