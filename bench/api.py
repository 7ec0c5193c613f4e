"""api_vs_raw_serialized: what one bench20 instance costs the server through the JSON API, against
raw SpiffWorkflow doing the same path with a JSON save and load around every step, in the same run.

The API side: gunicorn with one sync worker on 127.0.0.1 and one client (this process) signed in
with a bearer token; per instance ``POST /api/instances`` (start), then for each of its 4 user tasks
``POST /api/tasks/<id>/claim`` and ``…/complete`` — 9 requests. The server's CPU time (user +
system, /proc/<worker pid>/stat, in clock ticks) is read before and after each instance; the
client's own work is not counted. The raw side: the same path in this thread on stock SpiffWorkflow
(its default script engine, its own serializer, spec included) — start, then per task a claim (the
assignee set) and a completion — with ``serialize_json`` after and ``deserialize_json`` before every
step; its CPU time is this thread's. One API instance and one raw instance run in turn, so both
meet the same load on a shared machine. Goal: api_ms <= 4 x raw_ms.

    python -m bench.api [--instances N] [--no-pg]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.load import Server
from engine.clock import SystemClock
from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.init import initialize
from engine.usecases.runner import connect, handle

HERE = Path(__file__).resolve().parent
BENCH20 = HERE / "bpmn" / "bench20.bpmn"
GOAL_RATIO = 4.0
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _form(name: str) -> dict:
    return {f"amount_{name}": "42", f"note_{name}": "备注", f"ok_{name}": "true"}


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat fields 14 and 15, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS


class Client:
    """One connection per request (gunicorn's sync worker closes each), bearer token after login."""

    def __init__(self, port: int):
        self.port, self.headers = port, {"Content-Type": "application/json"}

    def post(self, path: str, body: dict | None = None) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", path, body=json.dumps(body or {}).encode(), headers=self.headers)
            resp = conn.getresponse()
            payload = json.loads(resp.read() or b"null")
        finally:
            conn.close()
        if resp.status not in (200, 201):
            raise RuntimeError(f"POST {path}: {resp.status} {payload}")
        return payload

    def login(self, user: str) -> None:
        token = self.post("/api/login", {"username": user, "password": user})["token"]
        self.headers["Authorization"] = f"Bearer {token}"

    def instance(self) -> None:
        """start + 4 x (claim + complete) of one bench20 instance."""
        ready = self.post("/api/instances", {"process": "bench20", "data": {}})["ready"]
        while ready:
            task = ready[0]
            self.post(f"/api/tasks/{task['id']}/claim")
            ready = self.post(f"/api/tasks/{task['id']}/complete", {"data": _form(task["name"])})["ready"]


@contextmanager
def api_server(url: str) -> Iterator[tuple[Client, int]]:
    """A fresh database (demo users, bench20) served by gunicorn with one sync worker; yields a
    client signed in as front_desk and the worker's pid."""
    db = connect(url)
    workdir = Path(tempfile.mkdtemp(prefix="wuye-bench-api-"))
    try:
        clock = SystemClock()
        handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=workdir, simulation=True)
        handle(db, deploy, actor=SYSTEM, clock=clock, files=[(BENCH20.name, BENCH20.read_bytes())])
        server = Server(url, workdir, workers=1)
        try:
            (worker,) = server.worker_pids()
            client = Client(server.port)
            client.login("front_desk")
            yield client, worker
            if server.tracebacks():
                raise RuntimeError(f"the server logged tracebacks: {server.log.read_text()[-2000:]}")
        finally:
            server.stop()
    finally:
        db.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


class RawPath:
    """bench20's path on stock SpiffWorkflow (its default script engine, its own serializer, the spec
    included), with ``deserialize_json`` before and ``serialize_json`` after every step."""

    def __init__(self) -> None:
        parser = CamundaParser()
        parser.add_bpmn_file(str(BENCH20))
        self.spec, self.subprocesses = parser.get_spec("bench20"), parser.get_subprocess_specs("bench20")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        self.engine = PythonScriptEngine()

    def _saved(self, wf: BpmnWorkflow) -> tuple[str, object]:
        """The state as JSON, and the next ready user task (as the API's answer names it)."""
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        return self.serializer.serialize_json(wf), (ready[0].id if ready else None)

    def _step(self, state: str, action: Callable[[BpmnWorkflow, object], None], task_id: object) -> tuple[str, object]:
        wf = self.serializer.deserialize_json(state)
        wf.script_engine = self.engine
        action(wf, task_id)
        return self._saved(wf)

    def instance(self) -> None:
        """start, then per user task a claim (its assignee set) and a completion: 9 saved steps."""
        wf = BpmnWorkflow(self.spec, self.subprocesses, script_engine=self.engine)
        wf.do_engine_steps()
        state, task_id = self._saved(wf)
        while task_id is not None:
            state, _ = self._step(state, _claim, task_id)
            state, task_id = self._step(state, _complete, task_id)


def _claim(wf: BpmnWorkflow, task_id: object) -> None:
    wf.get_task_from_id(task_id).internal_data["assignee"] = "front_desk"


def _complete(wf: BpmnWorkflow, task_id: object) -> None:
    task = wf.get_task_from_id(task_id)
    name = task.task_spec.bpmn_id
    task.data.update({f"amount_{name}": 42, f"note_{name}": "备注", f"ok_{name}": True})
    task.run()
    wf.do_engine_steps()


def _summary(samples: list[float]) -> dict:
    return {"mean_ms": round(statistics.fmean(samples), 2), "median_ms": round(statistics.median(samples), 2)}


def api_vs_raw_serialized(url: str, instances: int, warmup: int = 5) -> dict:
    """One API instance and one raw instance in turn, so both meet the same load on a shared machine;
    means over ``instances`` each, after ``warmup`` of each unmeasured."""
    raw = RawPath()
    api_samples: list[float] = []
    raw_samples: list[float] = []
    with api_server(url) as (client, worker):
        for _ in range(warmup):
            client.instance()
            raw.instance()
        for _ in range(instances):
            before = cpu_ms(worker)
            client.instance()
            api_samples.append(cpu_ms(worker) - before)
            began = time.thread_time()     # clock-ok: CPU stopwatch, not business time
            raw.instance()
            raw_samples.append((time.thread_time() - began) * 1000)   # clock-ok
    api, raw_ms = _summary(api_samples), _summary(raw_samples)
    return {"api_ms": api["mean_ms"], "raw_ms": raw_ms["mean_ms"],
            "ratio": round(api["mean_ms"] / raw_ms["mean_ms"], 2),
            "goal_ratio": GOAL_RATIO, "instances": instances, "requests_per_instance": 9,
            "api": {**api, "clock_tick_ms": TICK_MS}, "raw": raw_ms}


def run(pg: bool = True, quick: bool = False, instances: int | None = None) -> dict:
    n = instances or (20 if quick else 100)
    out: dict = {"note": "server CPU (/proc) per bench20 instance: start + 4 x (claim + complete) over the JSON "
                         "API, gunicorn 1 sync worker, 1 client; raw: stock SpiffWorkflow, JSON save/load per step"}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-api-") as tmp:
        out["api_vs_raw_serialized"] = api_vs_raw_serialized(f"sqlite:///{tmp}/api.sqlite3", n)
    if pg:
        from bench.pgserver import ServerMissing, new_database, throwaway_server
        try:
            with throwaway_server() as server:
                out["api_vs_raw_serialized_postgres"] = api_vs_raw_serialized(new_database(server), n)
        except ServerMissing as e:
            out["postgres"] = f"skipped: {e}"
    return out


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.api")
    p.add_argument("--instances", type=int, default=100)
    p.add_argument("--no-pg", action="store_true")
    args = p.parse_args()
    print(json.dumps(run(pg=not args.no_pg, instances=args.instances), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
