"""Load run of issue 5: the real app under gunicorn (4 sync workers, the README's production command)
on 127.0.0.1 and a free port, over a real SQLite file and, with ``pg``, a throwaway PostgreSQL;
20 simulated staff (threads, each with its own Bearer token from POST /api/login) working the
`visit_request` test process (tests/bpmn/leave_request.bpmn) through the JSON API for 60 s (10 s
quick): list the inbox, claim a task, complete it with valid data built from the task's form.

Seeded with a few hundred started instances, so front-desk users have `register` tasks; completing
them makes `repair` tasks for the engineers, and a repair of 5+ hours an `approve` task for the
supervisors. A front-desk user whose inbox is empty starts a new instance (POST /api/instances).

Expected conflicts (409) and why they happen: about 1 pick in 6 deliberately goes for the first
task of the inbox, which every member of the group sees first, so several users claim the same
task at once. The first claim wins (the instance row is locked, the task re-read under the lock);
the others are told "already claimed by X" with 409 and go back to their inbox. A user also
meets 409 when another member of the group claimed or completed the task between their
GET /api/tasks and their claim: the seeded tasks are done within seconds, after which the 8
members of a group share the few tasks that have just arrived, so most 409s are these
unplanned collisions ("claim lost" in ``actions``), exactly what a busy desk sees. A complete
after a successful claim must never be 409: the task is then the claimer's. Every status other
than 200/201 and these 409s is counted as an error (the goal is zero).

The client runs on the same 2 shared cores as the server and the database: requests per second
are a floor, not a capacity figure; p95 per route and the error counts are what to read.
"""
from __future__ import annotations

import http.client
import json
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.inbox import percentiles, stopwatch
from engine.clock import SystemClock
from engine.rules.permissions import SYSTEM
from engine.usecases.audit import verify_audit
from engine.usecases.deploy import deploy
from engine.usecases.init import initialize
from engine.usecases.runner import Database, connect, handle
from engine.usecases.start_instance import start_instance
from engine.usecases.users import add_user

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILE = ROOT / "tests" / "bpmn" / "leave_request.bpmn"
USERS = 20
# who the 20 simulated users are: the register, repair and approve steps' groups
ROLES = ("front_desk",) * 8 + ("engineering",) * 8 + ("cs_supervisor",) * 4
RACE_SHARE = 1 / 6                 # picks that deliberately go for the inbox's first task
WORKERS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, instances: int) -> Database:
    """Schema, groups, demo users, the test process, the 20 load users and ``instances`` started cases."""
    clock = SystemClock()
    db = connect(url)
    empty = Path(tempfile.mkdtemp(prefix="wuye-bench-noproc-"))
    handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=empty, simulation=True)
    empty.rmdir()
    handle(db, deploy, actor=SYSTEM, clock=clock, files=[(PROCESS_FILE.name, PROCESS_FILE.read_bytes())])
    for n, role in enumerate(ROLES, 1):
        handle(db, add_user, actor=SYSTEM, clock=clock, name=f"load{n:02d}", groups=[role], password=f"load{n:02d}")
    for n in range(instances):
        handle(db, start_instance, actor="front_desk", clock=clock, process_id="visit_request",
               data={"room": f"{n % 20 + 1}-{n % 4 + 1}-{n % 30 + 1}01"})
    return db


class Server:
    """gunicorn serving ``webforms:create_app`` on 127.0.0.1; its error log is kept to count tracebacks."""

    def __init__(self, url: str, workdir: Path, workers: int = WORKERS):
        self.port = _free_port()
        self.log = workdir / "gunicorn.log"
        config = {"DATABASE_URL": url, "INSTANCE_PATH": str(workdir / "instance"), "SECRET_KEY": "bench-load"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--error-logfile", str(self.log), f"webforms:create_app({config!r})"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, seconds: float = 60) -> None:
        t0 = stopwatch()
        while stopwatch() - t0 < seconds:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/api/tasks")
                if conn.getresponse().status == 401:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            threading.Event().wait(0.2)
        raise RuntimeError("gunicorn did not answer within a minute")

    def worker_pids(self) -> list[int]:
        """The worker processes gunicorn forked (the children of its master, from /proc)."""
        children: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            children += [int(pid) for pid in (task / "children").read_text().split()]
        return children

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Tally:
    """Latencies and statuses per route, shared by the simulated users."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.actions: Counter = Counter()

    def add(self, route: str, status: int | str, seconds: float | None) -> None:
        with self.lock:
            self.status[route][status] += 1
            if seconds is not None:
                self.latency[route].append(seconds)

    def count(self, what: str) -> None:
        with self.lock:
            self.actions[what] += 1


def form_values(fields: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    """Valid data for a task's form, from the field definitions the task JSON carries."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.get("readonly"):
            continue
        kind = f["type"]
        if kind == "string":
            text = "厨房水管漏水，已上门处理"
            out[f["id"]] = text[:f["maxlength"]] if f.get("maxlength") else text
        elif kind in ("long", "double"):
            low = f.get("min", 0)
            high = min(f.get("max", low + 8), low + 8)     # hours 0..8: 5+ hours (> 200 yuan) needs approval
            out[f["id"]] = rng.randint(int(low), int(high))
        elif kind == "boolean":
            out[f["id"]] = rng.random() < 0.5
        elif kind == "enum":
            out[f["id"]] = rng.choice(f["options"])["id"]
        elif kind == "date" and f.get("required"):
            out[f["id"]] = "2026-11-23"
    return out


class Staff:
    """One simulated user: own token, own connection, own random stream."""

    def __init__(self, port: int, name: str, role: str, tally: Tally, seed: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.name, self.role, self.tally, self.rng = name, role, tally, random.Random(seed)
        self.headers = {"Content-Type": "application/json"}

    def call(self, method: str, path: str, route: str,
             body: dict[str, Any] | None = None) -> tuple[int | None, Any]:   # Any: the server's JSON body
        data = json.dumps(body).encode() if body is not None else None
        t0 = stopwatch()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.tally.add(route, f"connection error: {type(e).__name__}", None)
            return None, None
        self.tally.add(route, resp.status, stopwatch() - t0)
        return resp.status, (json.loads(payload) if payload else None)

    def login(self) -> None:
        status, body = self.call("POST", "/api/login", "POST /api/login",
                                 {"username": self.name, "password": self.name})
        if status != 200:
            raise RuntimeError(f"login of {self.name} failed: {status} {body}")
        self.headers["Authorization"] = f"Bearer {body['token']}"

    def work(self, until: float) -> None:
        while stopwatch() < until:
            status, tasks = self.call("GET", "/api/tasks", "GET /api/tasks")
            if status != 200:
                continue
            free = [t for t in tasks if t["assignee"] in (None, self.name)]
            if not free:
                self._idle()
                continue
            race = self.rng.random() < RACE_SHARE
            task = free[0] if race else self.rng.choice(free[:30])
            if task["assignee"] != self.name:
                status, _ = self.call("POST", f"/api/tasks/{task['id']}/claim", "POST /api/tasks/<id>/claim")
                if status != 200:
                    self.tally.count("claim lost, racing on purpose" if race else "claim lost")
                    continue
            status, _ = self.call("POST", f"/api/tasks/{task['id']}/complete", "POST /api/tasks/<id>/complete",
                                  {"data": form_values(task["form"], self.rng)})
            if status == 200:
                self.tally.count(f"completed {task['name']}")

    def _idle(self) -> None:
        """An empty inbox: the front desk takes the next owner's call, the others wait a moment."""
        if self.role == "front_desk":
            room = f"{self.rng.randint(1, 20)}-{self.rng.randint(1, 4)}-{self.rng.randint(1, 30)}01"
            status, _ = self.call("POST", "/api/instances", "POST /api/instances",
                                  {"process": "visit_request", "data": {"room": room}})
            if status == 201:
                self.tally.count("instances started")
        else:
            self.tally.count("empty inbox, waited 0.2 s")
            threading.Event().wait(0.2)


def load_run(url: str, seconds: float, instances: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="wuye-bench-load-"))
    try:
        t0 = stopwatch()
        db = seed(url, instances)
        seeded = round(stopwatch() - t0, 1)
        server = Server(url, workdir)
        try:
            tally = Tally()
            staff = [Staff(server.port, f"load{n:02d}", role, tally, seed=n) for n, role in enumerate(ROLES, 1)]
            for s in staff:
                s.login()
            start = stopwatch()
            threads = [threading.Thread(target=s.work, args=(start + seconds,)) for s in staff]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = stopwatch() - start
            tracebacks = server.tracebacks()
        finally:
            server.stop()
        audit = handle(db, verify_audit, actor=SYSTEM, clock=SystemClock())
        db.dispose()
        return summarize(tally, elapsed, seeded, instances, tracebacks, audit)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


EXPECTED = {"POST /api/tasks/<id>/claim": {409}}


def summarize(tally: Tally, elapsed: float, seeded: float, instances: int, tracebacks: int,
              audit: dict[str, Any]) -> dict[str, Any]:
    routes: dict[str, dict[str, Any]] = {}
    errors: Counter[str] = Counter()
    conflicts = total = 0
    for route in sorted(tally.status):
        statuses = tally.status[route]
        total += sum(statuses.values())
        routes[route] = {**(percentiles(tally.latency[route]) if tally.latency[route] else {}),
                         "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)}}
        for status, n in statuses.items():
            if status in (200, 201):
                continue
            if status in EXPECTED.get(route, ()):
                conflicts += n
            else:
                errors[f"{route} -> {status}"] += n
    work = total - sum(tally.status["POST /api/login"].values())
    return {"users": USERS, "seconds": round(elapsed, 1), "seeded_instances": instances, "seed_seconds": seeded,
            "requests": work, "requests_per_second": round(work / elapsed, 1), "routes": routes,
            "expected_conflicts_409": conflicts, "errors": dict(errors), "error_count": sum(errors.values()),
            "server_tracebacks": tracebacks, "actions": dict(sorted(tally.actions.items())),
            "audit_chain_after": audit}


def run(pg: bool = True, quick: bool = False) -> dict:
    seconds, instances = (10, 120) if quick else (60, 300)
    out: dict = {"note": f"gunicorn -w {WORKERS} (sync) on 127.0.0.1, {USERS} client threads in this process on the "
                         "same shared 2 cores; logins excluded from requests per second; noisy"}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-load-db-") as tmp:
        out["sqlite"] = load_run(f"sqlite:///{tmp}/load.sqlite3", seconds, instances)
    if pg:
        from bench.pgserver import ServerMissing, new_database, throwaway_server
        try:
            with throwaway_server() as server:
                out["postgres"] = load_run(new_database(server), seconds, instances)
        except ServerMissing as e:
            out["postgres"] = f"skipped: {e}"
    return out
