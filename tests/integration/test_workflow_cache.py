"""The per-process cache of loaded workflows (engine/step/cache.py), on SQLite and PostgreSQL: a step
uses the workflow the last committed step left, a claim touches no workflow, and no entry that does
not match the stored state can ever be used — not one of a step that failed, nor one another process
has since moved past. Loads are counted at the one place a workflow is restored from stored state."""
from __future__ import annotations

import pytest

from engine.clock import FixedClock, parse_instant
from engine.errors import Conflict
from engine.rules.permissions import SYSTEM
from engine.spiff import state as spiff_state
from engine.step.cache import workflows
from engine.step.runtime import ProcessFailed
from engine.usecases.deploy import deploy
from engine.usecases.instances import history, show_instance
from engine.usecases.runner import handle
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import claim_task, complete_task, unclaim_task
from tests.support import BPMN_DIR

CLOCK = FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))


@pytest.fixture
def loads(monkeypatch) -> list[int]:
    """Every restore of a workflow from stored state, counted (the real function still runs)."""
    counted: list[int] = []
    real = spiff_state.load_workflow

    def load_workflow(spec, state):
        counted.append(1)
        return real(spec, state)

    monkeypatch.setattr("engine.spiff.run.load_workflow", load_workflow)
    return counted


@pytest.fixture
def divide(db):
    workflows.resize(64)
    workflows.clear()
    handle(db, deploy, actor=SYSTEM, clock=CLOCK, files=[("divide.bpmn", (BPMN_DIR / "divide.bpmn").read_bytes())])
    yield db
    workflows.clear()


def _start(db) -> tuple[int, str]:
    started = handle(db, start_instance, actor="front_desk", clock=CLOCK, process_id="divide", data={})
    return started["instance"], started["ready"][0]["id"]


def test_a_step_after_a_committed_step_uses_the_workflow_it_left(divide, loads):
    instance, fill = _start(divide)
    done = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 4})
    assert [t["name"] for t in done["ready"]] == ["check"]
    assert loads == []
    shown = handle(divide, show_instance, actor="front_desk", clock=CLOCK, instance_id=instance)
    assert shown["data"]["per_household"] == 300


def test_a_claim_and_a_give_back_change_the_row_and_the_log_and_load_no_workflow(divide, loads):
    instance, fill = _start(divide)
    workflows.clear()                       # even with nothing cached, a claim needs no workflow
    claimed = handle(divide, claim_task, actor="front_desk", clock=CLOCK, task_id=fill)
    assert claimed["assignee"] == "front_desk"
    with pytest.raises(Conflict, match="front_desk"):
        handle(divide, claim_task, actor="demo", clock=CLOCK, task_id=fill)
    assert handle(divide, unclaim_task, actor="front_desk", clock=CLOCK, task_id=fill)["assignee"] is None
    assert loads == []
    events = [e["type"] for e in handle(divide, history, actor="front_desk", clock=CLOCK, instance_id=instance)]
    assert events[-2:] == ["task_claimed", "task_unclaimed"]


def test_a_step_that_failed_leaves_nothing_behind_and_the_next_one_starts_from_the_stored_state(divide, loads):
    instance, fill = _start(divide)
    with pytest.raises(ProcessFailed, match="share"):
        handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 0})
    assert len(workflows) == 0              # the half-run workflow was not kept
    done = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 3})
    assert loads == [1]
    assert [t["name"] for t in done["ready"]] == ["check"]
    shown = handle(divide, show_instance, actor="front_desk", clock=CLOCK, instance_id=instance)
    assert shown["data"]["per_household"] == 400


def test_an_entry_another_process_has_moved_past_is_never_used(divide, loads):
    instance, fill = _start(divide)
    with divide.uow(readonly=True) as uow:
        version = uow.instances.get(instance).version
        key = (uow.database, instance)
    ours = workflows.take(key, version)             # this process's entry, as of the start
    assert ours is not None
    # another process (its own cache: none here) completes the task and commits
    done = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 6})
    check = done["ready"][0]["id"]
    workflows.clear()
    workflows.put(key, version, ours)                # our entry is still the old version's
    assert loads == [1]
    finished = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=check, data={"ok": True})
    assert loads == [1, 1]                           # the old entry did not match: loaded from the row
    assert finished["status"] == "completed"
    shown = handle(divide, show_instance, actor="front_desk", clock=CLOCK, instance_id=instance)
    assert shown["data"]["per_household"] == 200


def test_with_the_cache_off_every_step_loads_from_the_stored_state(divide, loads):
    workflows.resize(0)
    _, fill = _start(divide)
    handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 2})
    assert loads == [1] and len(workflows) == 0


@pytest.fixture
def row_loads():
    """Every instance row made into an object from a row the database returned (SQLAlchemy's own
    load event: any query, any path), by instance id."""
    from sqlalchemy import event

    from storage.models import Instance
    counted: list[int] = []

    def loaded(target, context):
        counted.append(target.id)

    event.listen(Instance, "load", loaded)
    yield counted
    event.remove(Instance, "load", loaded)


def test_a_step_after_a_committed_step_takes_the_instance_row_it_left_and_reads_only_its_version(divide, row_loads):
    instance, fill = _start(divide)
    done = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 5})
    assert row_loads == []                      # the start's committed object, its version checked under the lock
    handle(divide, claim_task, actor="front_desk", clock=CLOCK, task_id=done["ready"][0]["id"])
    finished = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=done["ready"][0]["id"],
                      data={"ok": True})
    assert row_loads == [] and finished["status"] == "completed"
    with divide.uow(readonly=True) as uow:
        row = uow.instances.get(instance)
        assert row.status == "completed" and row.data["per_household"] == 240


def test_an_instance_row_changed_by_anyone_else_is_read_again_not_taken_from_the_cache(divide, row_loads):
    from sqlalchemy import text
    instance, fill = _start(divide)
    with divide.uow() as uow:                     # another process's write: the row's version moves on
        uow.session.execute(text("UPDATE instances SET room = '9-9-909', version = version + 1 WHERE id = :i"),
                            {"i": instance})
        uow.commit()
    done = handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 2})
    assert row_loads == [instance]                # the kept object was of the old version: the row was read
    assert [t["name"] for t in done["ready"]] == ["check"]
    with divide.uow(readonly=True) as uow:
        assert uow.instances.get(instance).room == "9-9-909"     # not written back from the stale object


def test_a_step_that_failed_keeps_no_instance_row_object(divide, row_loads):
    instance, fill = _start(divide)
    with pytest.raises(ProcessFailed, match="share"):
        handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 0})
    assert len(workflows.instances) == 0
    handle(divide, complete_task, actor="front_desk", clock=CLOCK, task_id=fill, data={"households": 3})
    assert row_loads == [instance]
