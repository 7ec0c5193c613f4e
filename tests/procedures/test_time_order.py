"""Time that cannot run backwards (issue 10): an instance's events are in time order, a clock in the
past is for simulation databases only, and `audit verify` checks the order too."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storage.chain import event_hash
from storage.models import ChainHead, Event
from tests.support import BPMN_DIR, ROOT, Wuye

LEAVE = str(BPMN_DIR / "leave_request.bpmn")


def _started(w: Wuye, at: str) -> dict:
    assert w("deploy", LEAVE).code == 0
    return w("start", "visit_request", "--as", "front_desk", "--data", '{"room": "8-8"}', now=at).json


def test_a_completion_dated_before_the_task_was_created_is_refused_with_both_times(wuye):
    started = _started(wuye, "2026-11-20T09:00:00+08:00")
    task = started["ready"][0]["id"]
    back = wuye("complete", task, "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
                now="2026-11-20T08:00:00+08:00")
    assert back.code == 2
    assert "时间不能倒退" in back.err
    assert "2026-11-20T09:00:00+08:00" in back.err and "2026-11-20T08:00:00+08:00" in back.err
    assert "Traceback" not in back.err
    on_time = wuye("complete", task, "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
                   now="2026-11-20T09:00:00+08:00")                  # the same second is not before it
    assert on_time.code == 0, on_time.err
    assert wuye("audit", "verify").json["ok"] is True


def test_a_claim_dated_before_the_last_event_is_refused_too(wuye):
    started = _started(wuye, "2026-11-20T09:00:00+08:00")
    back = wuye("claim", started["ready"][0]["id"], "--as", "front_desk", now="2026-11-20T08:59:59+08:00")
    assert back.code == 2 and "时间不能倒退" in back.err


def test_audit_verify_names_an_event_whose_time_was_moved_before_the_one_before_it(wuye, db):
    started = _started(wuye, "2026-11-20T09:00:00+08:00")
    wuye("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
         now="2026-11-20T10:00:00+08:00")
    with db.engine.connect() as conn:
        rows = conn.execute(select(Event).where(Event.instance_id == started["instance"]).order_by(Event.seq)).all()
    last = rows[-1]
    # an attacker moves the last event an hour before the start and re-hashes it (and the head)
    moved = rows[0].at - timedelta(hours=1)
    fields = {"seq": last.seq, "instance_id": last.instance_id, "type": last.type, "actor": last.actor, "at": moved,
              "task_id": last.task_id, "data": last.data, "prev_hash": last.prev_hash}
    digest = event_hash(**fields)
    with db.engine.begin() as conn:
        conn.execute(update(Event).where(Event.seq == last.seq).values(at=moved, hash=digest))
        if conn.scalar(select(ChainHead.seq)) == last.seq:
            conn.execute(update(ChainHead).where(ChainHead.id == 1).values(hash=digest))
    checked = wuye("audit", "verify")
    assert checked.code == 1
    broken = checked.json["first_broken"]
    assert broken["seq"] == last.seq and "time ran backwards" in broken["reason"]


@pytest.mark.once          # the console script runs in processes of its own: the cache modes do not reach it
def test_a_clock_in_the_past_is_refused_on_a_database_that_is_not_a_simulation(tmp_path):
    """`wuye init` without --simulation makes a real database: --now before today is refused on it,
    by the real console script; a database made with --simulation takes it (and says so)."""
    def run(url: str, *args: str) -> subprocess.CompletedProcess:
        env = {"WUYE_DATABASE_URL": url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
               "WUYE_PROCESSES_DIR": str(tmp_path / "none")}
        return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                              timeout=120, cwd=tmp_path)
    (tmp_path / "none").mkdir()
    real = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    made = run(real, "init")
    assert made.returncode == 0, made.stderr
    past = run(real, "--now", "2020-01-01T09:00:00+08:00", "deploy", LEAVE)
    assert past.returncode == 2 and "只有模拟数据库" in past.stderr
    assert run(real, "deploy", LEAVE).returncode == 0                 # today's clock is fine
    refused = run(real, "init", "--simulation")
    assert refused.returncode == 2 and "只能在新建的数据库上设置" in refused.stderr
    simulated = f"sqlite:///{tmp_path / 'sim.sqlite3'}"
    made = run(simulated, "--now", "2020-01-01T09:00:00+08:00", "init", "--simulation")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["simulation"] is True
    deployed = run(simulated, "--now", "2020-01-01T09:00:00+08:00", "deploy", LEAVE)
    assert deployed.returncode == 0, deployed.stderr
