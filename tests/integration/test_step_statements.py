"""What one persisted step says to the database (SQLite's own trace of every statement it runs): the
figures of issue 8 depend on a step staying this short, so a change that adds a statement to every
step shows up here, not only in the benchmark."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from engine.clock import FixedClock, parse_instant
from engine.rules.permissions import SYSTEM
from engine.step.cache import workflows
from engine.usecases.deploy import deploy
from engine.usecases.runner import handle
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from tests.support import BPMN_DIR

CLOCK = FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))


@pytest.fixture
def traced(sqlite_db):
    """The SQLite database with ``divide`` deployed, and the list every statement run on it goes to."""
    statements: list[str] = []

    def trace(dbapi: sqlite3.Connection, _record: object) -> None:
        dbapi.set_trace_callback(statements.append)

    event.listen(sqlite_db.engine, "connect", trace)
    sqlite_db.engine.dispose()                      # connections made from now on are traced
    workflows.resize(64)
    workflows.clear()
    handle(sqlite_db, deploy, actor=SYSTEM, clock=CLOCK,
           files=[("divide.bpmn", (BPMN_DIR / "divide.bpmn").read_bytes())])
    yield sqlite_db, statements
    workflows.clear()
    event.remove(sqlite_db.engine, "connect", trace)


def test_a_completion_reads_the_calendar_once_and_rewrites_no_index_of_the_instance_it_does_not_change(traced):
    db, statements = traced
    started = handle(db, start_instance, actor="front_desk", clock=CLOCK, process_id="divide", data={})
    statements.clear()
    done = handle(db, complete_task, actor="front_desk", clock=CLOCK, task_id=started["ready"][0]["id"],
                  data={"households": 4})
    assert [t["name"] for t in done["ready"]] == ["check"] and done["status"] == "running"
    assert sum("calendar_changes" in s for s in statements) == 1
    (saved,) = [s for s in statements if s.startswith("UPDATE instances")]
    assert "state=" in saved and "version=" in saved
    # still running, no timer, the same room: the indexed columns are not set, so not re-indexed
    assert not any(f" {column}=" in saved or f",{column}=" in saved for column in ("status", "next_timer_at", "room"))
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"
    # SQLite's trace also reports the statements its triggers and FTS5 run inside ours ("-- ..."):
    # those are not round trips of the step. The search text (the desk's search) is one upsert of
    # its own, which writes nothing when the text did not change. The new task's notice to its group
    # (the outbox, issue 11) is one insert and, today, three reads (the real names, the channels, the
    # keys already queued): 21 in all, to be brought down.
    ours = [s for s in statements if not s.startswith("--")]
    assert sum(s.startswith("INSERT INTO notifications") for s in ours) == 1
    assert len(ours) <= 21, "\n".join(ours)
    assert not any("instance_search_fts" in s for s in statements)      # the unchanged text is not re-indexed
