"""external_task_latency: how long an external task takes from the moment a worker has fetched it
to its completion being committed, with 4 workers (separate processes, plain urllib, long polling)
against one `wuye serve` (the threaded web app, timer loop off), while instances are started through
the JSON API at a steady rate below capacity. Also the end-to-end time, from the start request's
answer (the task is then in the queue) to the completion's 204: that adds the wait for a free worker.

    python -m bench.external_tasks [--instances N] [--rate PER_SECOND] [--no-pg]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.pgserver import ServerMissing, new_database, throwaway_server
from engine.clock import SystemClock
from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.external_tasks import grant_topics
from engine.usecases.init import initialize
from engine.usecases.runner import connect, handle
from engine.usecases.users import add_user

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL = HERE / "bpmn" / "bench_external.bpmn"
WORKERS = 4


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(port: int, method: str, path: str, body: dict[str, Any] | None, token: str | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
        return json.loads(data) if data else None
    finally:
        conn.close()


def _prepare(url: str) -> None:
    db = connect(url)
    clock = SystemClock()
    empty = Path(tempfile.mkdtemp(prefix="wuye-bench-np-"))
    try:
        handle(db, initialize, actor=None, clock=clock, demo=False, processes_dir=empty)
        handle(db, deploy, actor=SYSTEM, clock=clock, files=[(MODEL.name, MODEL.read_bytes())])
        handle(db, add_user, actor=SYSTEM, clock=clock, name="desk", groups=["front_desk"], password="desk-pass")
        for n in range(WORKERS):
            handle(db, add_user, actor=SYSTEM, clock=clock, name=f"w{n}", groups=["worker"], password=f"w{n}-pass")
            handle(db, grant_topics, actor=SYSTEM, clock=clock, name=f"w{n}", topics=["sms"])
    finally:
        db.dispose()
        shutil.rmtree(empty, ignore_errors=True)


def measure(url: str, instances: int, rate: float) -> dict[str, Any]:
    _prepare(url)
    port = _free_port()
    env = {**os.environ, "WUYE_DATABASE_URL": url, "PYTHONPATH": str(ROOT), "WUYE_TIMER_LOOP": "off",
           "WUYE_LOG_LEVEL": "WARNING"}
    log = Path(tempfile.mkdtemp(prefix="wuye-bench-log-")) / "serve.log"
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)
    workers: list[subprocess.Popen[str]] = []
    try:
        for _ in range(300):
            try:
                _call(port, "GET", "/login", None)
                break
            except (OSError, RuntimeError, ValueError):
                time.sleep(0.1)
        desk = _call(port, "POST", "/api/login", {"username": "desk", "password": "desk-pass"})["token"]
        for n in range(WORKERS):
            token = _call(port, "POST", "/api/login", {"username": f"w{n}", "password": f"w{n}-pass"})["token"]
            workers.append(subprocess.Popen([sys.executable, "-m", "bench.external_worker",
                                             f"http://127.0.0.1:{port}/engine-rest", token, f"worker-{n}", "4"],
                                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True))
        created: dict[int, float] = {}
        t0 = time.perf_counter()
        for i in range(instances):
            wait = t0 + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            out = _call(port, "POST", "/api/instances", {"process": "bench_external", "data": {"phone": f"139{i:08d}"}},
                        desk)
            created[out["instance"]] = time.time()
        lines = []
        for w in workers:
            out, err = w.communicate(timeout=300)
            if w.returncode != 0:
                raise RuntimeError(f"a worker failed: {err[-1500:]}\nserver: {log.read_text()[-3000:]}")
            lines += [json.loads(line) for line in out.splitlines() if line.strip()]
    finally:
        for proc in [*workers, server]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
    per_task = sorted(x["fetch_to_complete_ms"] for x in lines)
    end_to_end = sorted((x["completed_at"] - created[x["instance"]]) * 1000 for x in lines)
    ids = [x["id"] for x in lines]

    def q(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))], 1)
    return {"instances": instances, "rate_per_s": rate, "workers": WORKERS, "completed": len(ids),
            "completed_twice": len(ids) - len(set(ids)),
            "fetch_to_complete_ms": {"median": round(statistics.median(per_task), 1), "p95": q(per_task, 0.95),
                                     "max": round(per_task[-1], 1)},
            "created_to_completed_ms": {"median": round(statistics.median(end_to_end), 1),
                                        "p95": q(end_to_end, 0.95), "max": round(end_to_end[-1], 1)}}


def run(pg: bool = True, quick: bool = False, instances: int | None = None, rate: float = 10.0) -> dict[str, Any]:
    n = instances or (40 if quick else 200)
    out: dict[str, Any] = {}
    workdir = Path(tempfile.mkdtemp(prefix="wuye-bench-ext-"))
    try:
        out["sqlite"] = measure(f"sqlite:///{workdir / 'bench.sqlite3'}", n, rate)
        if pg:
            try:
                with throwaway_server() as server:
                    out["postgresql"] = measure(new_database(server), n, rate)
            except ServerMissing as e:
                out["postgresql"] = f"skipped: {e}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.external_tasks")
    p.add_argument("--instances", type=int, default=200)
    p.add_argument("--rate", type=float, default=10.0, help="instances started per second")
    p.add_argument("--no-pg", action="store_true")
    args = p.parse_args()
    print(json.dumps(run(pg=not args.no_pg, instances=args.instances, rate=args.rate), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
