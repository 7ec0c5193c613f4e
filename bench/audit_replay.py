"""Audit benchmarks on a simulated month (issue 10): re-execution of each instance (goal: one of about
20 steps in < 50 ms) and of all of them, and each report over the simulated data (goal < 1 s).

Each figure is given as wall-clock time and as this process's CPU time, with the load average: on a
shared machine the CPU time is the one that holds.

    python -m bench.audit_replay --cases 20 --months 2026-11
    python -m bench.audit_replay --cases 20 --months 2026-01,2026-02,…   # a year: one simulation per month
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.simulate import simulate
from engine.clock import FixedClock
from engine.rules.permissions import SYSTEM
from engine.usecases.init import initialize
from engine.usecases.replay import replay_instance
from engine.usecases.reports import kpis, month_bounds, violations_report
from engine.usecases.runner import connect, handle

STEPS = ("instance_started", "task_completed", "task_claimed", "message_delivered", "timer_fired")


def _times() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()     # clock-ok: benchmark stopwatch


def run(cases: int = 20, months: list[str] | None = None, processes: list[str] | None = None) -> dict[str, Any]:
    months = months or ["2026-11"]
    with tempfile.TemporaryDirectory(prefix="wuye-bench-replay-") as tmp:
        db = connect(f"sqlite:///{tmp}/sim.sqlite3")
        empty = Path(tmp) / "none"
        empty.mkdir()
        start, _ = month_bounds(months[0])
        handle(db, initialize, actor=None, clock=FixedClock(start - timedelta(days=1)), demo=True,
               processes_dir=empty, simulation=True)
        w0, c0 = _times()
        for month in months:
            simulate(db, month=month, cases=cases, seed=7, processes=processes)
        w1, c1 = _times()
        with db.uow(readonly=True) as uow:
            rows = sorted((i.id, i.process_id) for i in uow.instances.search(limit=10_000_000))
            steps = {i: sum(1 for e in uow.events.for_instance(i) if e.type in STEPS) for i, _ in rows}
        per: list[tuple[int, float, float, bool]] = []
        load = os.getloadavg()[0]
        for instance_id, _process in rows:
            a, b = _times()
            result = handle(db, replay_instance, actor=SYSTEM, clock=FixedClock(start), instance_id=instance_id)
            c, d = _times()
            per.append((instance_id, c - a, d - b, bool(result["matches"])))
        near20 = [p for p in per if 15 <= steps[p[0]] <= 25] or per
        reports: dict[str, Any] = {}
        clock = FixedClock(start + timedelta(days=400))
        for name, use_case in (("kpi", kpis), ("violations", violations_report)):
            walls, cpus = [], []
            for month in months:
                a, b = _times()
                handle(db, use_case, actor=SYSTEM, clock=clock, month=month)
                c, d = _times()
                walls.append(c - a)
                cpus.append(d - b)
            reports[name] = {"max_seconds": round(max(walls), 3), "max_cpu_seconds": round(max(cpus), 3)}
        db.dispose()
    return {
        "months": months, "cases_per_process_and_month": cases, "instances": len(rows),
        "simulation_seconds": round(w1 - w0, 1), "simulation_cpu_seconds": round(c1 - c0, 1),
        "replay_all_seconds": round(sum(p[1] for p in per), 2),
        "replay_all_cpu_seconds": round(sum(p[2] for p in per), 2),
        "replay_matches": sum(1 for p in per if p[3]),
        "replay_about_20_steps": {"instances": len(near20),
                                  "median_ms": round(statistics.median(p[1] for p in near20) * 1000, 1),
                                  "median_cpu_ms": round(statistics.median(p[2] for p in near20) * 1000, 1),
                                  "goal_ms": 50},
        "reports": reports, "goal_report_seconds": 1.0,
        "load_average_1min": {"before_replays": round(load, 2), "at_end": round(os.getloadavg()[0], 2)},
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.audit_replay")
    p.add_argument("--cases", type=int, default=20)
    p.add_argument("--months", default="2026-11", help="comma-separated YYYY-MM, simulated one after another")
    p.add_argument("--processes", help="comma-separated process ids (default: every process)")
    args = p.parse_args()
    print(json.dumps(run(args.cases, args.months.split(","), args.processes.split(",") if args.processes else None),
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
