"""Settling a workflow: a sweep that comes late fires every period a cycle timer owes, in one step."""
from datetime import timedelta

from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task, list_tasks
from engine.usecases.timers import fire_due_timers
from tests.support import BPMN_DIR, act, at, deploy_files


def _feedback_cycle(db, clock) -> dict:
    """Deploy tests/bpmn/feedback_cycle.bpmn (work + an hourly non-interrupting C6) and start it."""
    deploy_files(db, BPMN_DIR / "feedback_cycle.bpmn", at=clock)
    return act(db, start_instance, as_="engineering", at=clock, process_id="feedback_cycle", data={})


def test_a_sweep_three_and_a_half_hours_late_fires_three_cycles_and_records_three_violations(sqlite_db):
    db, clock = sqlite_db, at("2026-11-23T09:00:00+08:00")
    instance = _feedback_cycle(db, clock)["instance"]
    clock.advance(timedelta(hours=3, minutes=30))
    fired = act(db, fire_due_timers, as_=None, at=clock)
    assert [f["timer"] for f in fired] == ["every_hour"] * 3
    assert act(db, fire_due_timers, as_=None, at=clock) == []              # nothing owed any more
    shown = act(db, show_instance, at=clock, instance_id=instance)
    assert sorted(t["name"] for t in shown["ready"]) == ["feedback"] * 3 + ["work"]
    assert [v["deadline"] for v in shown["violations"]] == ["C6"] * 3
    assert shown["error"] is None


def test_a_task_done_after_its_deadline_but_before_the_sweep_still_records_the_violation(sqlite_db):
    db, clock = sqlite_db, at("2026-11-23T09:00:00+08:00")
    started = _feedback_cycle(db, clock)
    (work,) = started["ready"]
    clock.advance(timedelta(hours=1, minutes=30))                   # one hourly deadline passed, no sweep ran
    done = act(db, complete_task, as_="engineering", at=clock, task_id=work["id"], data={})
    assert done["status"] == "completed"      # finishing the work also ends the reminders it spawned
    shown = act(db, show_instance, at=clock, instance_id=started["instance"])
    events = act(db, history, at=clock, instance_id=started["instance"])
    assert [v["deadline"] for v in shown["violations"]] == ["C6"]
    fired = next(e for e in events if e["type"] == "timer_fired")
    completed = next(e for e in events if e["type"] == "task_completed")
    assert fired["actor"] == "timer" and fired["seq"] < completed["seq"]


def test_a_task_whose_reminder_fired_stays_overdue_in_the_inbox(sqlite_db):
    db, clock = sqlite_db, at("2026-11-23T09:00:00+08:00")
    _feedback_cycle(db, clock)
    clock.advance(timedelta(hours=1, minutes=1))
    assert len(act(db, fire_due_timers, as_=None, at=clock)) == 1
    overdue = act(db, list_tasks, as_="engineering", at=clock, overdue=True)
    assert [t["name"] for t in overdue] == ["work"]
    assert overdue[0]["due_at"] == "2026-11-23T10:00:00+08:00"
