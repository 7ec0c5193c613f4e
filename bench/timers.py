"""Timer benchmarks of issue 5, on SQLite and PostgreSQL:

* ``fire_due_timers`` with 100,000 waiting instances and none due (goal < 10 ms), with the query
  plans of the three statements the loop issues (the due probe, the claim, the next due time);
* ``fire_due_timers`` with 1,000 due instances among them (one process, one thread);
* timer lateness under a real `wuye serve` (SystemClock, real time, about two minutes per database):
  1,000 instances whose timers fall due spread over 60 s; lateness = the ``timer_fired`` event's
  time minus the due time given at start. Goal p99 <= 1 s.

The data: the 100,000 waiting instances are SQL clones of ONE instance started through the engine
(same state, same definition; only next_timer_at differs, spread over the day after) — starting
100,000 through the use case would take an hour here. The 1,000 due and the 1,000 lateness
instances are real, started through ``start_instance``. Tables are ANALYZEd after the bulk load (as
autovacuum would). Absolute times on a shared 2-core machine are noisy: the load average is reported.

    python -m bench.timers [--quick] [--no-pg] [--no-lateness]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from cli.timer_loop import TimerLoop
from engine.clock import Clock, FixedClock, SystemClock, parse_instant, to_iso
from engine.rules.permissions import SYSTEM, Actor
from engine.usecases.deploy import deploy
from engine.usecases.init import initialize
from engine.usecases.runner import Database, connect, handle, writes
from engine.usecases.start_instance import start_instance
from engine.usecases.timers import fire_due_timers
from storage.models import Base, Event, Instance  # the bulk clones and the lateness read below, not use cases
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILE = ROOT / "tests" / "bpmn" / "timers" / "loop_deadline.bpmn"
T0 = parse_instant("2031-03-03T09:00:00+08:00")      # business time of the sweep figures (FixedClock)


def stopwatch() -> float:
    return time.perf_counter()   # clock-ok: benchmark stopwatch, not business time


def ms_percentiles(samples_s: list[float]) -> dict:
    xs = sorted(samples_s)

    def rank(p: float) -> float:
        return round(xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))] * 1000, 3)
    return {"p50_ms": rank(50), "p95_ms": rank(95), "max_ms": round(xs[-1] * 1000, 3), "runs": len(xs)}


@writes
def _start_batch(uow: UnitOfWork, *, actor: Actor, clock: Clock, dues: list[datetime]) -> list[int]:
    """Several loop_deadline instances in one transaction (creating 1,000 must not outlast the lead time)."""
    return [start_instance(uow, actor=actor, clock=clock, process_id="loop_deadline",
                           data={"due": to_iso(d), "recover_at": "2000-01-01"})["instance"] for d in dues]


def start_many(db: Database, clock: Clock, dues: Iterable[datetime], per_transaction: int = 25) -> list[int]:
    ids: list[int] = []
    batch = list(dues)
    for i in range(0, len(batch), per_transaction):
        ids += handle(db, _start_batch, actor="dispatcher", clock=clock, dues=batch[i:i + per_transaction])
    return ids


def setup(url: str) -> Database:
    db = connect(url)
    clock = FixedClock(T0)
    empty = Path(tempfile.mkdtemp(prefix="wuye-bench-"))
    handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=empty, simulation=True)
    handle(db, deploy, actor=SYSTEM, clock=clock, files=[(PROCESS_FILE.name, PROCESS_FILE.read_bytes())])
    return db


_INSTANCES = Base.metadata.tables[Instance.__tablename__]


def clone_waiting(db: Database, count: int) -> None:
    """``count`` copies of one engine-started instance, due over the day after T0 (none due at T0+2h)."""
    (template_id,) = start_many(db, FixedClock(T0), [T0 + timedelta(days=1)])
    with db.uow() as uow:
        t = uow.instances.get(template_id)
        if t is None:
            raise RuntimeError(f"the template instance {template_id}, just started, is not stored")
        base = {c: getattr(t, c) for c in ("definition_id", "process_id", "status", "state", "serializer_version",
                                           "version", "room", "started_by", "started_at", "updated_at", "retries")}
        uow.session.execute(_INSTANCES.update().where(_INSTANCES.c.id == template_id)
                            .values(next_timer_at=T0 + timedelta(days=1)))
        step = 86400 / count
        for start in range(0, count - 1, 5000):
            rows = [{**base, "next_timer_at": T0 + timedelta(days=1, seconds=(i + 1) * step)}
                    for i in range(start, min(start + 5000, count - 1))]
            uow.session.execute(insert(_INSTANCES), rows)
        uow.commit()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE instances" if db.engine.dialect.name == "postgresql" else "ANALYZE")


def captured_statements(db: Database, work: Callable[[], object]) -> list[tuple[str, Any]]:
    """The SQL statements (and parameters) ``work()`` sends, to EXPLAIN exactly those."""
    seen: list[tuple[str, Any]] = []      # Any: the parameters as the dialect hands them to the driver

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "instances" in statement:
            seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen


def explain(db: Database) -> dict:
    clock = FixedClock(T0 + timedelta(hours=2))
    loop = TimerLoop(db, clock)

    def claim():
        with db.uow() as uow:
            uow.instances.claim_due(clock.now())      # rolled back: nothing claimed
    plans = {}
    for name, work in (("due_probe", lambda: handle(db, fire_due_timers, actor=None, clock=clock)), ("claim", claim),
                       ("next_due", loop.plan)):
        statement, params = captured_statements(db, work)[0]
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            if db.engine.dialect.name == "postgresql":
                analyze = "" if name == "claim" else "ANALYZE, "
                cur.execute(f"EXPLAIN ({analyze}COSTS OFF) " + statement, params)
                plans[name] = {"sql": " ".join(statement.split()), "plan": [r[0] for r in cur.fetchall()]}
            else:
                cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                plans[name] = {"sql": " ".join(statement.split()), "plan": [r[-1] for r in cur.fetchall()]}
            raw.rollback()
        finally:
            raw.close()
    return plans


def sweep_figures(db: Database, waiting: int, due: int, runs: int) -> dict:
    out: dict = {}
    t = stopwatch()
    clone_waiting(db, waiting)
    out["setup"] = {"waiting_clones": waiting, "clone_seconds": round(stopwatch() - t, 1)}
    clock = FixedClock(T0 + timedelta(hours=2))
    for _ in range(5):                                  # warm the pool and caches
        handle(db, fire_due_timers, actor=None, clock=clock)
    samples = []
    for _ in range(runs):
        t = stopwatch()
        assert handle(db, fire_due_timers, actor=None, clock=clock) == []
        samples.append(stopwatch() - t)
    out["sweep_none_due"] = {"waiting": waiting, **ms_percentiles(samples)}
    loop, samples = TimerLoop(db, clock), []
    for _ in range(runs):
        t = stopwatch()
        loop.plan()
        samples.append(stopwatch() - t)
    out["next_due_read"] = ms_percentiles(samples)
    out["explain"] = explain(db)

    t = stopwatch()
    ids = start_many(db, FixedClock(T0), [T0 + timedelta(hours=1)] * due)
    created = stopwatch() - t
    t = stopwatch()
    fired = handle(db, fire_due_timers, actor=None, clock=clock)
    took = stopwatch() - t
    assert sorted(r["instance"] for r in fired) == sorted(ids), "not every due timer fired"
    out["sweep_due"] = {"due": due, "waiting_besides": waiting, "seconds": round(took, 2),
                        "per_timer_ms": round(took / due * 1000, 2), "timers_per_second": round(due / took, 1),
                        "start_instance_per_second": round(due / created, 1)}
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lateness(db: Database, timers: int, spread: float, lead: float = 45.0) -> dict:
    """A real `wuye serve` (SystemClock); this process starts ``timers`` instances due over
    ``spread`` seconds, beginning ``lead`` seconds from now, in transactions of 25."""
    try:
        import webforms  # noqa: F401
        command = ["serve", "--port", str(_free_port())]
    except ImportError:
        command = ["worker"]
    env = {**os.environ, "WUYE_DATABASE_URL": db.url, "PYTHONPATH": str(ROOT)}
    log_path = Path(tempfile.mkdtemp(prefix="wuye-bench-")) / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cli", *command], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = stopwatch() + 60
        while "timer loop running" not in log_path.read_text():
            if proc.poll() is not None or stopwatch() > deadline:
                raise RuntimeError(f"wuye {command[0]} did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        clock = SystemClock()
        base = clock.now() + timedelta(seconds=lead)
        dues = [base + timedelta(seconds=spread * i / timers) for i in range(timers)]
        t = stopwatch()
        ids = start_many(db, clock, dues)
        created_by = clock.now()
        creation = stopwatch() - t
        due_of = dict(zip(ids, dues, strict=True))
        deadline = stopwatch() + lead + spread + 120
        fired: dict[int, datetime] = {}
        while len(fired) < timers and stopwatch() < deadline:
            time.sleep(1)
            with db.uow(readonly=True) as uow:
                rows = uow.session.execute(select(Event.instance_id, func.min(Event.at))
                                           .where(Event.type == "timer_fired", Event.instance_id.in_(ids))
                                           .group_by(Event.instance_id)).all()
            fired = {i: at for i, at in rows if i is not None}    # instance_id is in ids: never None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    late = sorted((fired[i] - due_of[i]).total_seconds() for i in fired)

    def rank(p: float) -> float:
        return round(late[min(len(late) - 1, max(0, round(p / 100 * len(late)) - 1))], 3)
    return {"process": f"wuye {command[0]} (SystemClock)", "timers": timers, "spread_s": spread,
            "fired": len(fired), "p50_s": rank(50), "p99_s": rank(99), "max_s": round(late[-1], 3),
            "over_1s": sum(1 for x in late if x > 1.0), "min_s": round(late[0], 3),
            "creation_seconds": round(creation, 1),
            "creation_overlapped_dues": created_by > base, "exit_code": proc.returncode}


def bench_database(url: str, *, waiting: int, due: int, runs: int, timers: int, with_lateness: bool) -> dict:
    db = setup(url)
    try:
        out = sweep_figures(db, waiting, due, runs)
        if with_lateness:
            out["lateness"] = lateness(db, timers, 60.0)
        return out
    finally:
        db.dispose()


def run(pg: bool = True, quick: bool = False, with_lateness: bool = True) -> dict:
    sizes = ({"waiting": 10_000, "due": 100, "runs": 50, "timers": 200} if quick else
             {"waiting": 100_000, "due": 1_000, "runs": 200, "timers": 1_000})
    out: dict = {"machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in os.getloadavg()]},
                 "data": "waiting instances are SQL clones of one engine-started instance; due and lateness "
                         "instances are started through start_instance"}
    base = Path(tempfile.mkdtemp(prefix="wuye-bench-timers-"))
    out["sqlite"] = bench_database(f"sqlite:///{base / 'timers.sqlite3'}", with_lateness=with_lateness, **sizes)
    if pg:
        from bench.pgserver import new_database, throwaway_server
        with throwaway_server() as server:
            out["postgres"] = bench_database(new_database(server), with_lateness=with_lateness, **sizes)
    out["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.timers")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-pg", action="store_true")
    p.add_argument("--no-lateness", action="store_true", help="skip the real-time serve run (~2 min per database)")
    args = p.parse_args()
    print(json.dumps(run(pg=not args.no_pg, quick=args.quick, with_lateness=not args.no_lateness),
                     ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
