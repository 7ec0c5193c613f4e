"""A long-running instance stays small: finished history is dropped from SpiffWorkflow's task tree
(the event log keeps it), and the instance still behaves — parallel joins, timers, data — after
hundreds of rounds."""
import json
from datetime import timedelta

from engine.step.runtime import load_run
from engine.usecases.audit import verify_audit
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from engine.usecases.timers import fire_due_timers
from tests.support import BPMN_DIR, act, at, deploy_files, stored_state_size


def _patrol(db, clock) -> dict:
    """Deploy tests/bpmn/loop_parallel.bpmn (check_a and check_b in parallel, then a review that may
    go round again; a non-interrupting hourly timer) and start it."""
    deploy_files(db, BPMN_DIR / "loop_parallel.bpmn", at=clock)
    return act(db, start_instance, as_="security", at=clock, process_id="patrol", data={"rounds": 0})


def _round(db, clock, ready: list[dict], again: bool) -> list[dict]:
    """Both checks done by security, then the review by the supervisor; the tasks ready after it."""
    for task in ready:
        out = act(db, complete_task, as_="security", at=clock, task_id=task["id"], data={})
    (review,) = out["ready"]                                   # the join waited for both branches
    return act(db, complete_task, as_="cs_supervisor", at=clock, task_id=review["id"], data={"again": again})["ready"]


def test_a_patrol_looping_150_rounds_keeps_a_bounded_state_and_still_joins_and_fires_timers(sqlite_db):
    db, clock = sqlite_db, at("2026-11-23T08:00:00+08:00")
    started = _patrol(db, clock)
    instance, ready = started["instance"], started["ready"]
    sizes = []
    for round_ in range(1, 151):
        assert sorted(t["name"] for t in ready) == ["check_a", "check_b"], round_
        ready = _round(db, clock, ready, again=round_ < 150)
        sizes.append(stored_state_size(db, instance))
    assert ready == []
    assert max(sizes[100:]) < 1.3 * max(sizes[20:40])             # flat, not growing with history
    shown = act(db, show_instance, at=clock, instance_id=instance)
    events = act(db, history, at=clock, instance_id=instance)
    assert act(db, verify_audit, at=clock)["ok"]
    assert shown["status"] == "completed" and shown["data"]["rounds"] == 150
    assert sum(e["type"] == "task_completed" for e in events) == 450


def test_a_non_interrupting_timer_still_fires_after_the_tree_was_compacted(sqlite_db):
    db, clock = sqlite_db, at("2026-11-23T08:00:00+08:00")
    ready = _patrol(db, clock)["ready"]
    for _ in range(60):                                            # enough rounds to compact
        ready = _round(db, clock, ready, again=True)
    clock.advance(timedelta(hours=1, seconds=1))
    fired = act(db, fire_due_timers, as_=None, at=clock)
    assert [f["timer"] for f in fired] == ["late"]
    assert sorted(t["name"] for t in ready) == ["check_a", "check_b"]


def test_the_state_each_step_stores_is_what_serializing_that_workflow_afresh_gives(sqlite_db):
    """A step re-serialises only the tasks that changed (a finished task's stored form is made once,
    engine/spiff/state.py) while a cached workflow goes on in memory: what it stored must be exactly
    what a workflow restored from that state serialises to, round after round, through joins,
    loops and compaction."""
    db, clock = sqlite_db, at("2026-11-23T08:00:00+08:00")
    started = _patrol(db, clock)
    instance_id, ready = started["instance"], started["ready"]
    for round_ in range(60):
        ready = _round(db, clock, ready, again=True)
        with db.uow(readonly=True) as uow:
            instance = uow.instances.get(instance_id)
            stored = instance.state
            afresh = load_run(instance, clock).dump()
        assert json.loads(afresh) == json.loads(stored), round_
