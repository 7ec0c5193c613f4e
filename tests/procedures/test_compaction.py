"""A long-running instance stays small: finished history is dropped from SpiffWorkflow's task tree
(the event log keeps it), and the instance still behaves — parallel joins, timers, data — after
hundreds of rounds."""
from datetime import timedelta

from tests.support import BPMN_DIR

from engine.clock import FixedClock, parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.runner import actor_for
from engine.usecases.audit import verify_audit
from engine.usecases.deploy import deploy
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from engine.usecases.timers import fire_due_timers


def test_a_patrol_looping_150_rounds_keeps_a_bounded_state_and_still_joins_and_fires_timers(sqlite_db):
    db, clock = sqlite_db, FixedClock(parse_instant("2026-11-23T08:00:00+08:00"))
    with db.uow() as uow:
        deploy(uow, actor=SYSTEM, clock=clock, files=[("loop_parallel.bpmn", (BPMN_DIR / "loop_parallel.bpmn").read_bytes())])
        started = start_instance(uow, actor=actor_for(uow, "security"), clock=clock, process_id="patrol",
                                 data={"rounds": 0})
        uow.commit()
    instance, ready = started["instance"], started["ready"]
    sizes = []
    for round_ in range(1, 151):
        assert sorted(t["name"] for t in ready) == ["check_a", "check_b"], round_
        for task in ready:
            with db.uow() as uow:
                out = complete_task(uow, actor=actor_for(uow, "security"), clock=clock, task_id=task["id"], data={})
                uow.commit()
        (review,) = out["ready"]                                   # the join waited for both branches
        with db.uow() as uow:
            ready = complete_task(uow, actor=actor_for(uow, "cs_supervisor"), clock=clock, task_id=review["id"],
                                  data={"again": round_ < 150})["ready"]
            sizes.append(len(uow.instances.get(instance).state))
            uow.commit()
    assert ready == []
    assert max(sizes[100:]) < 1.3 * max(sizes[20:40])             # flat, not growing with history
    with db.uow(readonly=True) as uow:
        shown = show_instance(uow, actor=SYSTEM, clock=clock, instance_id=instance)
        events = history(uow, actor=SYSTEM, clock=clock, instance_id=instance)
        assert verify_audit(uow, actor=SYSTEM, clock=clock)["ok"]
    assert shown["status"] == "completed" and shown["data"]["rounds"] == 150
    assert sum(e["type"] == "task_completed" for e in events) == 450


def test_a_non_interrupting_timer_still_fires_after_the_tree_was_compacted(sqlite_db):
    db, clock = sqlite_db, FixedClock(parse_instant("2026-11-23T08:00:00+08:00"))
    with db.uow() as uow:
        deploy(uow, actor=SYSTEM, clock=clock, files=[("loop_parallel.bpmn", (BPMN_DIR / "loop_parallel.bpmn").read_bytes())])
        ready = start_instance(uow, actor=actor_for(uow, "security"), clock=clock, process_id="patrol",
                               data={"rounds": 0})["ready"]
        uow.commit()
    for _ in range(60):                                            # enough rounds to compact
        for task in ready:
            with db.uow() as uow:
                out = complete_task(uow, actor=actor_for(uow, "security"), clock=clock, task_id=task["id"], data={})
                uow.commit()
        with db.uow() as uow:
            ready = complete_task(uow, actor=actor_for(uow, "cs_supervisor"), clock=clock,
                                  task_id=out["ready"][0]["id"], data={"again": True})["ready"]
            uow.commit()
    clock.advance(timedelta(hours=1, seconds=1))
    fired = fire_due_timers(db, clock=clock)
    assert [f["timer"] for f in fired] == ["late"]
    assert sorted(t["name"] for t in ready) == ["check_a", "check_b"]
