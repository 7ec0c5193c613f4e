"""Load under attack (issue 14): the real app under gunicorn (bench/load.py's server: 4 sync
workers on 127.0.0.1) over a real SQLite file or a throwaway PostgreSQL. 20 staff work the
`visit_request` process through the JSON API (bench/load.py's simulated users) for the whole run;
a few seconds in, at once, 200 anonymous `POST /api/login` with random user names (40 client
threads) and one start of a process whose gateway condition is a CPU bomb
(`sum([sum(range(99999)) for i in range(9999)]) > 0`).

Reported: the staff's latency (p50/p95/p99 over every staff request, logins excluded), every 5xx,
what the anonymous logins were answered (401 while the per-address limit lets them be checked,
429 after), how the bomb was answered and how long it took, lost updates (every complete and start
a client was told succeeded must be in the event log, and nothing more), and `audit verify` after.

    python -m bench.siege --db sqlite|postgresql [--seconds 30]

The client runs on the same 2 shared cores as the server and the database: the figures are a
floor, and the password hashes of the anonymous logins compete with the staff for the CPU."""
from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select

from bench.inbox import percentiles, stopwatch
from bench.load import ROLES, Server, Staff, Tally, seed
from engine.clock import SystemClock
from engine.rules.permissions import SYSTEM
from engine.usecases.audit import verify_audit
from engine.usecases.deploy import deploy
from engine.usecases.runner import Database, handle
from storage.models import Event

ROOT = Path(__file__).resolve().parent.parent
CPU_BOMB = "sum([sum(range(99999)) for i in range(9999)]) > 0"
ANONYMOUS, ANONYMOUS_THREADS = 200, 40
STAFF_ROUTES = ("GET /api/tasks", "POST /api/tasks/<id>/claim", "POST /api/tasks/<id>/complete", "POST /api/instances")


def bomb_process() -> tuple[str, bytes]:
    xml = (ROOT / "tests" / "bpmn" / "sandbox" / "gateway.bpmn").read_text(encoding="utf-8")
    xml = xml.replace("{{PAYLOAD}}", escape(CPU_BOMB))
    return "bomb.bpmn", xml.replace('id="gateway"', 'id="bomb" camunda:candidateStarterGroups="front_desk"').encode()


def post(port: int, path: str, body: dict[str, Any], headers: dict[str, str] | None = None,
         ) -> tuple[int | str, float, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = stopwatch()
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, stopwatch() - t0, json.loads(payload) if payload else None
    except (OSError, http.client.HTTPException) as e:
        return f"connection error: {type(e).__name__}", stopwatch() - t0, None
    finally:
        conn.close()


def anonymous_logins(port: int, statuses: Counter[str], lock: threading.Lock, n: int, rng: random.Random) -> None:
    for _ in range(n):
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))
        status, _, _ = post(port, "/api/login", {"username": name, "password": "guess-" + name})
        with lock:
            statuses[str(status)] += 1


def logged(db: Database) -> dict[str, int]:
    with db.uow(readonly=True) as uow:
        rows = uow.session.execute(select(Event.type, func.count()).group_by(Event.type)).all()
    return {str(t): int(n) for t, n in rows}


def siege(url: str, seconds: float, attack: bool = True) -> dict[str, Any]:
    """The run; ``attack=False`` is its baseline: the same staff, no anonymous logins and no bomb."""
    workdir = Path(tempfile.mkdtemp(prefix="wuye-bench-siege-"))
    try:
        db = seed(url, 200)
        handle(db, deploy, actor=SYSTEM, clock=SystemClock(), files=[bomb_process()])
        before = logged(db)
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
            threading.Event().wait(min(5.0, seconds / 4))          # the staff are at work; then the attack
            logins: Counter[str] = Counter()
            lock = threading.Lock()
            attackers = [threading.Thread(target=anonymous_logins,
                                          args=(server.port, logins, lock, ANONYMOUS // ANONYMOUS_THREADS,
                                                random.Random(i)))
                         for i in range(ANONYMOUS_THREADS if attack else 0)]
            bomb: dict[str, Any] = {}

            def start_the_bomb() -> None:
                status, took, body = post(server.port, "/api/instances", {"process": "bomb", "data": {}},
                                          headers=staff[0].headers)
                bomb.update(status=status, seconds=round(took, 2), error=(body or {}).get("error"))
            bombers = [threading.Thread(target=start_the_bomb)] if attack else []
            t_attack = stopwatch()
            for t in [*attackers, *bombers]:
                t.start()
            for t in [*attackers, *bombers]:
                t.join()
            attack_seconds = stopwatch() - t_attack
            for t in threads:
                t.join()
            tracebacks = server.tracebacks()
        finally:
            server.stop()
        after = logged(db)
        audit = handle(db, verify_audit, actor=SYSTEM, clock=SystemClock())
        db.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summarize(tally, logins, bomb, attack_seconds, before, after, audit, tracebacks)


def summarize(tally: Tally, logins: Counter[str], bomb: dict[str, Any], attack_seconds: float,
              before: dict[str, int], after: dict[str, int], audit: dict[str, Any], tracebacks: int) -> dict[str, Any]:
    samples = [x for route in STAFF_ROUTES for x in tally.latency[route]]
    statuses = {route: dict(sorted(((str(k), v) for k, v in tally.status[route].items()))) for route in STAFF_ROUTES}
    server_errors = sum(n for route in tally.status.values() for k, n in route.items()
                        if not isinstance(k, int) or k >= 500)
    server_errors += sum(n for k, n in logins.items() if not k.isdigit() or int(k) >= 500)
    server_errors += 0 if not bomb or (isinstance(bomb.get("status"), int) and bomb["status"] < 500) else 1
    completes = tally.status["POST /api/tasks/<id>/complete"][200]
    starts = tally.status["POST /api/instances"][201]
    logged_completes = after.get("task_completed", 0) - before.get("task_completed", 0)
    logged_starts = after.get("instance_started", 0) - before.get("instance_started", 0)
    return {"staff_requests": percentiles(samples) if samples else {}, "staff_statuses": statuses,
            "anonymous_logins": dict(sorted(logins.items())), "bomb": bomb,
            "attack_seconds": round(attack_seconds, 1), "status_5xx": server_errors, "server_tracebacks": tracebacks,
            "completes_acknowledged": completes, "completes_logged": logged_completes,
            "starts_acknowledged": starts, "starts_logged": logged_starts,
            "lost_updates": abs(completes - logged_completes) + abs(starts - logged_starts),
            "audit_verify": audit}


def run(pg: bool = True, quick: bool = False) -> dict[str, Any]:
    seconds = 15 if quick else 30
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-siege-db-") as tmp:
        out["sqlite"] = siege(f"sqlite:///{tmp}/siege.sqlite3", seconds)
    if pg:
        out["postgres"] = _on_postgres(seconds)
    return out


def _on_postgres(seconds: float, attack: bool = True) -> dict[str, Any] | str:
    from bench.pgserver import ServerMissing, new_database, throwaway_server
    try:
        with throwaway_server() as server:
            return siege(new_database(server), seconds, attack)
    except ServerMissing as e:
        return f"skipped: {e}"


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.siege")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--baseline", action="store_true", help="the staff alone: no anonymous logins, no bomb")
    args = p.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="wuye-bench-siege-db-") as tmp:
            result: dict[str, Any] | str = siege(f"sqlite:///{tmp}/siege.sqlite3", args.seconds,
                                                 attack=not args.baseline)
    else:
        result = _on_postgres(args.seconds, attack=not args.baseline)
    print(json.dumps({args.db: result}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
