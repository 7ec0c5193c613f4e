"""Engine benchmarks of issue 3, measured side by side in one run:

* persisted ``complete_task`` (load, validate, run, save state + events + projections, commit) against
  the same step on raw, in-memory SpiffWorkflow, on a 20-node process with 4 user tasks;
* the cost of step 200 against step 2 of one long-running instance (a loop);
* complete instances per second on SQLite (one process) and on PostgreSQL.

Ratios are what to read; absolute times on shared machines are noisy.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState

from engine.spiff import run as bpmn
from engine.clock import FixedClock, parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.runner import actor_for
from engine.usecases.deploy import deploy
from engine.usecases.init import initialize
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from storage.uow import Database

HERE = Path(__file__).resolve().parent
CLOCK = FixedClock(parse_instant("2026-11-23T09:00:00+08:00"))


def _timer() -> float:
    return time.perf_counter()   # clock-ok: benchmark stopwatch, not business time


def setup_database(url: str) -> Database:
    db = Database(url)
    empty = Path(tempfile.mkdtemp(prefix="wuye-bench-proc-"))
    initialize(db, clock=CLOCK, demo=True, processes_dir=empty)
    with db.uow() as uow:
        deploy(uow, actor=SYSTEM, clock=CLOCK, files=[(p.name, p.read_bytes()) for p in
                                                      sorted((HERE / "bpmn").glob("bench*.bpmn"))])
        uow.commit()
    return db


def _start(db: Database, process: str, data: dict) -> dict:
    with db.uow() as uow:
        out = start_instance(uow, actor=actor_for(uow, "front_desk"), clock=CLOCK, process_id=process, data=data)
        uow.commit()
    return out


def _complete(db: Database, task_id: str, data: dict) -> dict:
    with db.uow() as uow:
        out = complete_task(uow, actor=actor_for(uow, "front_desk"), clock=CLOCK, task_id=task_id, data=data)
        uow.commit()
    return out


def _form(name: str) -> dict:
    return {f"amount_{name}": "42", f"note_{name}": "备注", f"ok_{name}": "true"}


def persisted_vs_raw(db: Database, instances: int = 60) -> dict:
    """Each of the 4 user-task steps of `bench20`, persisted vs in memory, over many instances."""
    persisted, raw = [], []
    for _ in range(instances):
        ready = _start(db, "bench20", {})["ready"]
        while ready:
            task = ready[0]
            t0 = _timer()
            ready = _complete(db, task["id"], _form(task["name"]))["ready"]
            persisted.append(_timer() - t0)
    with db.uow(readonly=True) as uow:
        definition = uow.definitions.latest("bpmn", "bench20")
        spec = bpmn.load_spec(definition.id, definition.content_hash, lambda: definition.spec)
    for _ in range(instances):
        wf = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=PythonScriptEngine())
        wf.do_engine_steps()
        while True:
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                break
            task = ready[0]
            t0 = _timer()
            task.data.update({f"amount_{task.task_spec.bpmn_id}": 42, f"note_{task.task_spec.bpmn_id}": "备注",
                              f"ok_{task.task_spec.bpmn_id}": True})
            task.run()
            wf.do_engine_steps()
            raw.append(_timer() - t0)
    p, r = statistics.median(persisted), statistics.median(raw)
    return {"steps": len(persisted), "persisted_median_ms": round(p * 1000, 3), "raw_median_ms": round(r * 1000, 3),
            "ratio": round(p / r, 2), "goal_ratio": 3.0}


def long_running(db: Database, steps: int = 210, window: int = 10) -> dict:
    """One instance looping through a user task: is step 200 as cheap as step 2?"""
    ready = _start(db, "bench_loop", {"rounds": 0})["ready"]
    times = []
    for _ in range(steps):
        t0 = _timer()
        ready = _complete(db, ready[0]["id"], {"done": "false"})["ready"]
        times.append(_timer() - t0)
    early = statistics.median(times[1:1 + window])
    late = statistics.median(times[199:199 + window])
    with db.uow(readonly=True) as uow:
        instance = uow.instances.get(int(ready[0]["instance"]))
        state_bytes = len(instance.state)
    return {"step2_median_ms": round(early * 1000, 3), "step200_median_ms": round(late * 1000, 3),
            "ratio": round(late / early, 2), "goal_ratio": 1.5, "state_bytes_after": state_bytes}


def throughput(db: Database, seconds: float = 10.0) -> dict:
    """Whole `bench20` instances (start + 4 completions) per second, one process."""
    done, t0 = 0, _timer()
    while _timer() - t0 < seconds:
        ready = _start(db, "bench20", {})["ready"]
        while ready:
            ready = _complete(db, ready[0]["id"], _form(ready[0]["name"]))["ready"]
        done += 1
    elapsed = _timer() - t0
    return {"instances": done, "seconds": round(elapsed, 2), "instances_per_second": round(done / elapsed, 1)}


def run(pg: bool = True, quick: bool = False) -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as tmp:
        db = setup_database(f"sqlite:///{tmp}/bench.sqlite3")
        out["persisted_vs_raw_sqlite"] = persisted_vs_raw(db, 10 if quick else 60)
        out["long_running_sqlite"] = long_running(db)
        out["throughput_sqlite"] = throughput(db, 3 if quick else 10)
        db.dispose()
    if pg:
        from bench.pgserver import ServerMissing, new_database, throwaway_server
        try:
            with throwaway_server() as server:
                db = setup_database(new_database(server))
                out["persisted_vs_raw_postgres"] = persisted_vs_raw(db, 10 if quick else 60)
                out["throughput_postgres"] = throughput(db, 3 if quick else 10)
                db.dispose()
        except ServerMissing as e:
            out["postgres"] = f"skipped: {e}"
    return out
