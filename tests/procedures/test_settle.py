"""Settling a workflow: a sweep that comes late fires every period a cycle timer owes, in one step."""
from datetime import timedelta

from tests.support import BPMN_DIR

from engine.clock import FixedClock, parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.runner import actor_for
from engine.usecases.deploy import deploy
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task, list_tasks
from engine.usecases.timers import fire_due_timers


def _feedback_cycle(db, clock) -> dict:
    """Deploy tests/bpmn/feedback_cycle.bpmn (work + an hourly non-interrupting C6) and start it."""
    with db.uow() as uow:
        deploy(uow, actor=SYSTEM, clock=clock,
               files=[("feedback_cycle.bpmn", (BPMN_DIR / "feedback_cycle.bpmn").read_bytes())])
        started = start_instance(uow, actor=actor_for(uow, "engineering"), clock=clock,
                                 process_id="feedback_cycle", data={})
        uow.commit()
    return started


def test_a_sweep_three_and_a_half_hours_late_fires_three_cycles_and_records_three_violations(sqlite_db):
    db, clock = sqlite_db, FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))
    instance = _feedback_cycle(db, clock)["instance"]
    clock.advance(timedelta(hours=3, minutes=30))
    fired = fire_due_timers(db, clock=clock)
    assert [f["timer"] for f in fired] == ["every_hour"] * 3
    assert fire_due_timers(db, clock=clock) == []              # nothing owed any more
    with db.uow(readonly=True) as uow:
        shown = show_instance(uow, actor=SYSTEM, clock=clock, instance_id=instance)
    assert sorted(t["name"] for t in shown["ready"]) == ["feedback"] * 3 + ["work"]
    assert [v["deadline"] for v in shown["violations"]] == ["C6"] * 3
    assert shown["error"] is None


def test_a_task_done_after_its_deadline_but_before_the_sweep_still_records_the_violation(sqlite_db):
    db, clock = sqlite_db, FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))
    started = _feedback_cycle(db, clock)
    (work,) = started["ready"]
    clock.advance(timedelta(hours=1, minutes=30))                   # one hourly deadline passed, no sweep ran
    with db.uow() as uow:
        done = complete_task(uow, actor=actor_for(uow, "engineering"), clock=clock, task_id=work["id"], data={})
        uow.commit()
    assert done["status"] == "completed"      # finishing the work also ends the reminders it spawned
    with db.uow(readonly=True) as uow:
        shown = show_instance(uow, actor=SYSTEM, clock=clock, instance_id=started["instance"])
        events = history(uow, actor=SYSTEM, clock=clock, instance_id=started["instance"])
    assert [v["deadline"] for v in shown["violations"]] == ["C6"]
    fired = next(e for e in events if e["type"] == "timer_fired")
    completed = next(e for e in events if e["type"] == "task_completed")
    assert fired["actor"] == "timer" and fired["seq"] < completed["seq"]


def test_a_task_whose_reminder_fired_stays_overdue_in_the_inbox(sqlite_db):
    db, clock = sqlite_db, FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))
    _feedback_cycle(db, clock)
    clock.advance(timedelta(hours=1, minutes=1))
    assert len(fire_due_timers(db, clock=clock)) == 1
    with db.uow(readonly=True) as uow:
        overdue = list_tasks(uow, actor=actor_for(uow, "engineering"), clock=clock, overdue=True)
    assert [t["name"] for t in overdue] == ["work"]
    assert overdue[0]["due_at"] == "2026-11-23T10:00:00+08:00"
