"""Exactly once under concurrency: 1,000 due timers, several sweepers on one database, each timer
fires once — four real `wuye worker` processes on PostgreSQL, two loop threads on one SQLite file —
and the audit chain still verifies."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cli.timer_loop import TimerLoop
from engine.clock import FixedClock, to_iso
from storage.models import Event, Instance
from tests.integration.loops import T0, audit_ok, deploy_loop_process, start_instances, timer_fired_counts, wait_until
from tests.support import ROOT, database, found, initialized

N = 1000
DUE = T0 + timedelta(hours=1)
FIRE_AT = T0 + timedelta(hours=2)      # the workers' clock: every timer is due


def _waiting(db) -> int:
    with db.uow(readonly=True) as uow:
        return uow.session.scalar(select(func.count()).where(Instance.next_timer_at.is_not(None)))


def _incidents(db) -> int:
    with db.uow(readonly=True) as uow:
        return uow.session.scalar(select(func.count()).where(Event.type == "incident"))


def _prepare(db) -> list[int]:
    clock = FixedClock(T0)
    deploy_loop_process(db, clock)
    ids = start_instances(db, clock, [DUE] * N)
    assert _waiting(db) == N
    return ids


def _assert_each_fired_once(db, ids: list[int]) -> None:
    counts = timer_fired_counts(db)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}
    assert _incidents(db) == 0
    assert audit_ok(db)


@pytest.mark.postgres
def test_four_worker_processes_on_postgres_fire_each_of_1000_timers_exactly_once(pg_url, tmp_path):
    empty = tmp_path / "no-processes"
    empty.mkdir()
    db = initialized(pg_url, empty)
    try:
        ids = _prepare(db)
        env = {**os.environ, "WUYE_DATABASE_URL": pg_url, "PYTHONPATH": str(ROOT)}
        log_files = [tmp_path / f"worker{i}.log" for i in range(4)]   # files, not pipes: a full pipe blocks
        workers = []
        for log in log_files:
            with log.open("w") as stderr:             # the child keeps its own copy of the descriptor
                workers.append(subprocess.Popen([sys.executable, "-m", "cli", f"--now={to_iso(FIRE_AT)}", "worker"],
                                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr))
        try:
            wait_until(lambda: _waiting(db) == 0 or any(w.poll() is not None for w in workers), 300,
                       "four workers to fire 1,000 timers")
            assert all(w.poll() is None for w in workers), "a worker died"
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                w.wait(timeout=60)
        logs = [log.read_text() for log in log_files]
        assert [w.returncode for w in workers] == [0, 0, 0, 0], logs
        # each worker reports what it fired on the way out; together exactly the 1,000
        stopped = [re.search(r"stopped after \d+ sweeps: fired (\d+) timers", log) for log in logs]
        per_worker = [int(found(m, f"the closing line of worker {i}").group(1)) for i, m in enumerate(stopped)]
        assert sum(per_worker) == N, per_worker
        assert sum(1 for n in per_worker if n > 0) >= 2, f"no concurrency to speak of: {per_worker}"
        _assert_each_fired_once(db, ids)
    finally:
        db.dispose()


def test_two_loop_threads_on_sqlite_fire_each_of_1000_timers_exactly_once(sqlite_db):
    ids = _prepare(sqlite_db)
    clock = FixedClock(FIRE_AT)
    second = database(sqlite_db.url)                  # its own engine and connection pool, as a process would
    loops = [TimerLoop(sqlite_db, clock, name="one"), TimerLoop(second, clock, name="two")]
    try:
        for loop in loops:
            loop.start()
        wait_until(lambda: _waiting(sqlite_db) == 0, 300, "two loops to fire 1,000 timers")
    finally:
        for loop in loops:
            loop.stop()
        second.dispose()
    assert loops[0].fired + loops[1].fired == N
    assert loops[0].fired > 0 and loops[1].fired > 0, [loop.fired for loop in loops]
    _assert_each_fired_once(sqlite_db, ids)
