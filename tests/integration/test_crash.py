"""A crash inside a step: a child process runs a real use case and is killed with SIGKILL while its
transaction is open (state, events and projections already flushed to the database, not
committed). Afterwards the instance is exactly as before — same version, state, tasks, events,
violations — the audit chain verifies, and the instance still works. SQLite and PostgreSQL.

The hook is SQLAlchemy's own ``before_commit`` session event: the child tells the parent what it
has written so far, then waits to be killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import select

from storage.models import Event, Instance, Task, Violation
from tests.support import BPMN_DIR, ROOT, Wuye, found

T0 = "2026-11-20T09:00:00+08:00"

CHILD = textwrap.dedent("""
    import sys, time
    from sqlalchemy import event, select
    from sqlalchemy.orm import Session
    from engine.clock import FixedClock, parse_instant
    from engine.usecases.runner import handle
    from engine.usecases import tasks, timers
    from storage.models import Event, Instance
    from storage.uow import Database

    url, action, arg, now = sys.argv[1:5]

    @event.listens_for(Session, "before_commit")
    def hang(session):
        session.flush()
        version = session.scalar(select(Instance.version).where(Instance.id == int(sys.argv[5])))
        last = session.scalar(select(Event.seq).order_by(Event.seq.desc()).limit(1))
        print(f"IN-STEP version={version} last_event={last}", flush=True)
        time.sleep(600)

    db = Database(url)
    clock = FixedClock(parse_instant(now))
    if action == "complete":
        handle(db, tasks.complete_task, actor="front_desk", clock=clock, task_id=arg,
               data={"content": "崩溃前提交的内容"})
    else:
        handle(db, timers.fire_due_timers, actor=None, clock=clock)
    print("COMMITTED", flush=True)
""")


def _picture(db, instance_id: int) -> dict:
    """Everything stored about the instance and the log, as plain values."""
    with db.engine.connect() as conn:
        inst = conn.execute(select(Instance.version, Instance.status, Instance.state, Instance.next_timer_at,
                                   Instance.updated_at).where(Instance.id == instance_id)).one()
        tasks = conn.execute(select(Task.id, Task.name, Task.state, Task.assignee, Task.due_at, Task.completed_at)
                             .where(Task.instance_id == instance_id).order_by(Task.id)).all()
        events = conn.execute(select(Event.seq, Event.type, Event.hash).order_by(Event.seq)).all()
        violations = conn.execute(select(Violation.id).where(Violation.instance_id == instance_id)).all()
    return {"instance": tuple(inst), "tasks": [tuple(t) for t in tasks], "events": [tuple(e) for e in events],
            "violations": [tuple(v) for v in violations]}


def _kill_inside_step(db, action: str, arg: str, now: str, instance_id: int) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, db.url, action, arg, now, str(instance_id)], cwd=ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = found(child.stdout, "the child's stdout pipe"), found(child.stderr, "the child's stderr pipe")
    try:
        line = stdout.readline()
        assert line.startswith("IN-STEP"), (line, stderr.read() if child.poll() is not None else "")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        stdout.close()
        stderr.close()
    return line


def _started(db) -> tuple[Wuye, dict]:
    w = Wuye(db.url)
    assert w("deploy", str(BPMN_DIR / "leave_request.bpmn")).code == 0
    started = w("start", "visit_request", "--as", "front_desk", "--data", '{"room": "7-7"}', now=T0)
    assert started.code == 0, started.err
    return w, started.json


def test_sigkill_while_completing_a_task_leaves_the_instance_as_it_was(db):
    w, started = _started(db)
    iid, task = started["instance"], started["ready"][0]["id"]
    before = _picture(db, iid)

    line = _kill_inside_step(db, "complete", task, "2026-11-20T09:05:00+08:00", iid)
    # the child really was inside the step: its transaction had bumped the version and appended events
    fields = dict(part.split("=") for part in line.split()[1:])
    assert int(fields["version"]) == before["instance"][0] + 1
    assert int(fields["last_event"]) > before["events"][-1][0]

    assert _picture(db, iid) == before
    assert w("audit", "verify").json["ok"] is True
    assert [t["id"] for t in w("tasks", "--as", "front_desk").json] == [task]
    done = w("complete", task, "--as", "front_desk", "--data", '{"content": "重新提交"}',
             now="2026-11-20T09:10:00+08:00")
    assert done.code == 0, done.err
    completed = [e for e in w("history", str(iid)).json if e["type"] == "task_completed"]
    assert [e["data"]["data"]["content"] for e in completed] == ["重新提交"]
    assert w("audit", "verify").json["ok"] is True


def test_sigkill_while_a_timer_fires_leaves_it_to_fire_on_the_next_sweep(db):
    w, started = _started(db)
    iid = started["instance"]
    assert w("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "漏水"}',
             now="2026-11-20T09:05:00+08:00").code == 0
    before = _picture(db, iid)
    assert before["instance"][3] is not None                       # a timer is waiting

    _kill_inside_step(db, "timers", "-", "2026-11-20T11:30:00+08:00", iid)
    assert _picture(db, iid) == before
    assert w("audit", "verify").json["ok"] is True

    (fired,) = w("timers", now="2026-11-20T11:31:00+08:00").json
    assert fired["instance"] == iid and fired["timer"] == "repair_late"
    shown = w("show", str(iid)).json
    assert len(shown["violations"]) == 1 and [t["name"] for t in shown["ready"]] == ["escalate"]
    assert [e["type"] for e in w("history", str(iid)).json].count("timer_fired") == 1
