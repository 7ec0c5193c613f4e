"""Inbox benchmark of issue 5: the real inbox path (``engine.usecases.tasks.list_tasks`` in a
read-only unit of work, as the web's GET /api/tasks calls it) over 1,000,000 task rows on
PostgreSQL and 100,000 on SQLite; goal p95 < 50 ms.

The data: the four real processes of processes/ are deployed and one complaint is really started;
its instance state is cloned onto every *running* instance row (the inbox reads running instances
only; completed history rows carry an empty state stub, which nothing on this path reads). Each
task row is one of the 91 real user tasks of those processes (its title, lane, candidate groups),
so the candidate rows cover the 15 groups that own a lane; ``quality``, ``process_owner`` and
``admin`` own none and have no tasks. Per 8 tasks per instance: 1 instance in 8 is running with its
last 2 tasks ready (about 3 % of the rows, 1 in 5 claimed by someone), the rest is completed or
(about 7 %) cancelled history. PostgreSQL rows come from one INSERT ... SELECT over
generate_series; SQLite rows from executemany. The composition actually stored is reported.

Absolute times on a shared 2-core machine are noisy; the p95 against the goal and the ratios
between filters and users are what to read.

Measured before commit 1dccc4a (list_tasks loaded every listed task's instance, its state and its
definition's decoded meta, and the query sorted all ready rows by ``due_at IS NULL``), same data
and calls: PostgreSQL 1M p50 1747 / p95 6309 / p99 9895 ms, SQLite 100k p50 264 / p95 2589 ms.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from engine.clock import FixedClock, parse_instant
from engine.rules.permissions import Actor
from engine.usecases.init import initialize
from engine.usecases.runner import Database, connect, handle
from engine.usecases.sessions import whoami
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import list_tasks

NOW = parse_instant("2026-11-23T09:00:00+08:00")
CLOCK = FixedClock(NOW)
TASKS_PER_INSTANCE = 8
SLOTS = 48                       # user-task slots per process (complaint has 46; the others cycle)
# instance id % 10 -> process: complaints are the bulk of the work, then repairs
PROCESS_MIX = ("complaint",) * 5 + ("repair",) * 3 + ("fee_collection", "move_in")
# whose inbox is timed: busy lanes, a narrow lane, and `demo` (member of every group: the worst case)
USERS = ("front_desk", "butler", "engineering", "cs_supervisor", "dispatcher", "legal", "demo")
FILTERS: dict[str, dict[str, object]] = {
    "none": {}, "process": {"process_id": "complaint"}, "overdue": {"overdue": True}, "room": {"room": "3-2-1"}}
COMPLAINT = {"complainant": "张先生", "room": "3-2-1102", "phone": "13800000000", "channel": "phone",
             "content": "楼道灯不亮", "received_at": "2026-11-23T08:55:00+08:00"}


def stopwatch() -> float:
    return time.perf_counter()   # clock-ok: benchmark stopwatch, not business time


def percentiles(samples_s: list[float]) -> dict:
    """p50/p95/p99 in milliseconds (nearest-rank on the sorted samples)."""
    xs = sorted(samples_s)

    def rank(p: float) -> float:
        return round(xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))] * 1000, 2)
    return {"n": len(xs), "p50_ms": rank(50), "p95_ms": rank(95), "p99_ms": rank(99),
            "mean_ms": round(statistics.fmean(xs) * 1000, 2)}


# --- the data -------------------------------------------------------------------------------------

def prepare(url: str) -> tuple[Database, dict[str, Any]]:
    """Schema, groups, demo users, the real processes, and one really started complaint (whose stored
    rows the synthetic instances below copy: read straight from its unit of work, no use case shows them)."""
    db = connect(url)
    handle(db, initialize, actor=None, clock=CLOCK, demo=True, simulation=True)
    started = handle(db, start_instance, actor="dispatcher", clock=CLOCK, process_id="complaint", data=COMPLAINT)
    with db.uow(readonly=True) as uow:
        instance = uow.instances.get(started["instance"])
        if instance is None:
            raise RuntimeError(f"the complaint just started (instance {started['instance']}) is not stored")
        state = instance.state
        definitions = {}
        for key in sorted(set(PROCESS_MIX)):
            definition = uow.definitions.latest("bpmn", key)
            if definition is None:
                raise RuntimeError(f"process {key!r} is not deployed: initialize() deploys processes/")
            definitions[key] = definition
        slots = []
        for d_index, key in enumerate(sorted(definitions)):
            d = definitions[key]
            elements = sorted((name, el) for name, el in d.meta["elements"].items() if el["type"] == "userTask")
            for j in range(SLOTS):
                name, el = elements[j % len(elements)]
                slots.append({"slot": d_index * SLOTS + j, "definition_id": d.id, "process_id": key, "name": name,
                              "title": el.get("name") or name, "lane": el.get("lane"),
                              "groups": ",".join(el.get("groups") or [el.get("lane")])})
        serializer = instance.serializer_version
    keys = sorted(definitions)
    return db, {"state": state, "serializer_version": serializer, "slots": slots,
                "process_slot": [keys.index(p) * SLOTS for p in PROCESS_MIX], "first_id": started["instance"] + 1}


def _room(j: int) -> str:
    """Building 1-20, unit 1-4, floor 1-33, door 01-04: e.g. 3-2-1102."""
    return f"{j % 20 + 1}-{j // 20 % 4 + 1}-{j // 80 % 33 + 1}{j // 2640 % 4 + 1:02d}"


def populate_postgres(db: Database, spec: dict, tasks: int) -> None:
    """Everything in three INSERT ... SELECT statements over generate_series, in one transaction."""
    n, base = tasks // TASKS_PER_INSTANCE, spec["first_id"]
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE bench_slot (slot int PRIMARY KEY, definition_id bigint, process_id text,"
                          " name text, title text, lane text, groups text) ON COMMIT DROP"))
        conn.execute(text("INSERT INTO bench_slot VALUES (:slot, :definition_id, :process_id, :name, :title, :lane,"
                          " :groups)"), spec["slots"])
        conn.execute(text("CREATE TEMP TABLE bench_mix (m int PRIMARY KEY, slot0 int) ON COMMIT DROP"))
        conn.execute(text("INSERT INTO bench_mix VALUES (:m, :s)"),
                     [{"m": m, "s": s} for m, s in enumerate(spec["process_slot"])])
        conn.execute(text("""
            INSERT INTO instances (id, definition_id, process_id, status, state, serializer_version, version,
                                   room, retries, started_by, started_at, updated_at, ended_at)
            SELECT :base + j, s.definition_id, s.process_id,
                   CASE WHEN j % 8 = 0 THEN 'running' ELSE 'completed' END,
                   CASE WHEN j % 8 = 0 THEN :state ELSE '{}' END, :sv, 1,
                   (j % 20 + 1) || '-' || (j / 20 % 4 + 1) || '-' || (j / 80 % 33 + 1)
                     || lpad((j / 2640 % 4 + 1)::text, 2, '0'),
                   0, 'dispatcher', st, st + interval '2 days',
                   CASE WHEN j % 8 = 0 THEN NULL ELSE st + interval '2 days' END
            FROM generate_series(0, :n - 1) j
            JOIN bench_mix x ON x.m = j / 8 % 10 JOIN bench_slot s ON s.slot = x.slot0
            CROSS JOIN LATERAL (SELECT CASE WHEN j % 8 = 0 THEN :now - make_interval(mins => (j * 7) % 4320)
                                ELSE :now - make_interval(mins => 4320 + (j * 13) % 525600) END AS st) t
            """), {"base": base, "state": spec["state"], "sv": spec["serializer_version"], "n": n, "now": NOW})
        conn.execute(text("""
            INSERT INTO tasks (id, instance_id, process_id, name, title, lane, candidate_groups, assignee, state,
                               room, priority, due_at, created_at, completed_at, completed_by)
            SELECT md5(g.i::text)::uuid::text, inst.id, s.process_id, s.name, s.title, s.lane, s.groups,
                   CASE WHEN NOT g.ready OR g.i % 5 = 0 THEN s.lane END,
                   CASE WHEN g.ready THEN 'ready' WHEN g.i % 13 = 0 THEN 'cancelled' ELSE 'completed' END,
                   inst.room, CASE WHEN g.i % 3 = 0 THEN 1 ELSE 0 END,
                   CASE WHEN g.i / 8 % 4 = 0 THEN NULL
                        ELSE inst.started_at + make_interval(mins => 60 * g.k + (g.i * 37) % 10080) END,
                   inst.started_at + make_interval(mins => 60 * g.k),
                   CASE WHEN NOT g.ready THEN inst.started_at + make_interval(mins => 60 * g.k + 30) END,
                   CASE WHEN NOT g.ready THEN s.lane END
            FROM (SELECT i, i % :n AS j, i / :n AS k, i % :n % 8 = 0 AND i / :n >= 6 AS ready
                  FROM generate_series(0, :t - 1) i) g
            JOIN instances inst ON inst.id = :base + g.j
            JOIN bench_mix x ON x.m = g.j / 8 % 10
            JOIN bench_slot s ON s.slot = x.slot0 + (g.j / 8 * 5 + g.j + g.k * 7) % :slots
            """), {"t": n * TASKS_PER_INSTANCE, "n": n, "base": base, "slots": SLOTS})
        conn.execute(text("""
            INSERT INTO task_candidates (task_id, group_id)
            SELECT t.id, g FROM tasks t CROSS JOIN LATERAL unnest(string_to_array(t.candidate_groups, ',')) g
            WHERE t.state = 'ready' AND t.instance_id >= :base
            """), {"base": base})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def populate_sqlite(db: Database, spec: dict, tasks: int) -> None:
    """The same rows as :func:`populate_postgres`, computed here and written with executemany."""
    n, base, slots = tasks // TASKS_PER_INSTANCE, spec["first_id"], spec["slots"]
    instances: list[tuple[object, ...]] = []
    task_rows: list[tuple[object, ...]] = []
    candidates: list[tuple[str, str]] = []
    started: dict[int, datetime] = {}
    for j in range(n):
        running = j % 8 == 0
        st = NOW - timedelta(minutes=(j * 7) % 4320 if running else 4320 + (j * 13) % 525600)
        started[j] = st
        s = slots[spec["process_slot"][j // 8 % 10]]
        instances.append((base + j, s["definition_id"], s["process_id"], "running" if running else "completed",
                          spec["state"] if running else "{}", spec["serializer_version"], 1, _room(j), 0,
                          "dispatcher", _db_time(st), _db_time(st + timedelta(days=2)),
                          None if running else _db_time(st + timedelta(days=2))))
    for i in range(n * TASKS_PER_INSTANCE):
        j, k = i % n, i // n
        ready = j % 8 == 0 and k >= 6
        s = slots[spec["process_slot"][j // 8 % 10] + (j // 8 * 5 + j + k * 7) % SLOTS]
        st, task_id = started[j], str(uuid.UUID(int=i))
        due = None if i // 8 % 4 == 0 else st + timedelta(minutes=60 * k + (i * 37) % 10080)
        task_rows.append((task_id, base + j, s["process_id"], s["name"], s["title"], s["lane"], s["groups"],
                          s["lane"] if not ready or i % 5 == 0 else None,
                          "ready" if ready else "cancelled" if i % 13 == 0 else "completed", _room(j),
                          1 if i % 3 == 0 else 0, _db_time(due), _db_time(st + timedelta(minutes=60 * k)),
                          None if ready else _db_time(st + timedelta(minutes=60 * k + 30)),
                          None if ready else s["lane"]))
        if ready:
            candidates.extend((task_id, g) for g in s["groups"].split(","))
    with db.engine.begin() as conn:
        raw = conn.connection.driver_connection
        if raw is None:
            raise RuntimeError("the pooled connection has no DB-API connection to write with")
        raw.executemany("INSERT INTO instances (id, definition_id, process_id, status, state, serializer_version,"
                        " version, room, retries, started_by, started_at, updated_at, ended_at)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", instances)
        raw.executemany("INSERT INTO tasks (id, instance_id, process_id, name, title, lane, candidate_groups,"
                        " assignee, state, room, priority, due_at, created_at, completed_at, completed_by)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", task_rows)
        raw.executemany("INSERT INTO task_candidates (task_id, group_id) VALUES (?,?)", candidates)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def _db_time(dt: datetime | None) -> str | None:
    """How storage.models.UtcDateTime stores an instant on SQLite (naive UTC, microseconds)."""
    return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def composition(db: Database) -> dict:
    """What was actually stored: rows by state, ready rows per candidate group, overdue share."""
    with db.engine.connect().execution_options(wuye_write=False) as conn:
        by_state: dict[str, int] = dict(conn.execute(
            text("SELECT state, count(*) FROM tasks GROUP BY state")).all())
        per_group: dict[str, int] = dict(conn.execute(
            text("SELECT group_id, count(*) FROM task_candidates GROUP BY group_id ORDER BY 2 DESC")).all())
        overdue = conn.execute(text("SELECT count(*) FROM tasks WHERE state = 'ready' AND due_at < :now"),
                               {"now": _db_time(NOW) if db.engine.dialect.name == "sqlite" else NOW}).scalar()
        inst: dict[str, int] = dict(conn.execute(
            text("SELECT status, count(*) FROM instances GROUP BY status")).all())
    total = sum(by_state.values())
    return {"tasks": total, "tasks_by_state": by_state, "ready_share": round(by_state.get("ready", 0) / total, 4),
            "ready_overdue": overdue, "ready_by_candidate_group": per_group, "instances_by_status": inst}


# --- the measurements -----------------------------------------------------------------------------

def time_inbox(db: Database, calls: int) -> dict:
    """``calls`` inbox reads, round-robin over users x filters, each in its own read-only unit of
    work as a web request would; percentiles per filter, per user and overall."""
    actors = {name: handle(db, whoami, actor=name, clock=CLOCK) for name in USERS}
    cases = [(u, f) for f in FILTERS for u in USERS]
    by_filter: dict[str, list[float]] = {f: [] for f in FILTERS}
    by_user: dict[str, list[float]] = {u: [] for u in USERS}
    sizes: dict[str, list[int]] = {f: [] for f in FILTERS}
    for u, f in cases:                                  # warm-up: caches, plans, connections
        _list(db, actors[u], FILTERS[f])
    for n in range(calls):
        u, f = cases[n % len(cases)]
        t0 = stopwatch()
        rows = _list(db, actors[u], FILTERS[f])
        elapsed = stopwatch() - t0
        by_filter[f].append(elapsed)
        by_user[u].append(elapsed)
        sizes[f].append(len(rows))
    everything = [x for xs in by_filter.values() for x in xs]
    return {"all": percentiles(everything), "goal_p95_ms": 50,
            "by_filter": {f: {**percentiles(xs), "mean_rows": round(statistics.fmean(sizes[f]), 1)}
                          for f, xs in by_filter.items()},
            "by_user_p95_ms": {u: percentiles(xs)["p95_ms"] for u, xs in by_user.items()}}


# rows per call: 500 is list_tasks' largest page (the API's maximum); the web inbox shows 50
PAGE = int(os.environ.get("WUYE_BENCH_INBOX_PAGE", "500"))


def _list(db: Database, actor: Actor, filters: Mapping[str, object]) -> list[dict[str, Any]]:
    return handle(db, list_tasks, actor=actor, clock=CLOCK, limit=PAGE, **filters)


def explain(db: Database, user: str, filters: Mapping[str, object]) -> list[str]:
    """The plan of the inbox query exactly as list_tasks sends it (caught on the way to the driver),
    with EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL and EXPLAIN QUERY PLAN on SQLite."""
    caught: list[tuple[str, Any]] = []    # Any: the parameters as the dialect handed them to the driver

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "FROM tasks" in statement and "ORDER BY" in statement and not caught:
            caught.append((statement, parameters))
    actor = handle(db, whoami, actor=user, clock=CLOCK)
    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        _list(db, actor, filters)
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    statement, parameters = caught[0]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with db.engine.connect().execution_options(wuye_write=False) as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    return [str(r[0]) if len(r) == 1 else str(r[-1]) for r in rows]


def measure(db: Database, calls: int) -> dict:
    return {"inbox": time_inbox(db, calls),
            "explain_demo_no_filter": explain(db, "demo", {}),
            "explain_legal_no_filter": explain(db, "legal", {}),
            "explain_butler_overdue": explain(db, "butler", {"overdue": True}),
            "explain_front_desk_room": explain(db, "front_desk", {"room": "3-2-1"})}


def bench_database(url: str, tasks: int, calls: int, postgres: bool) -> dict:
    t0 = stopwatch()
    db, spec = prepare(url)
    (populate_postgres if postgres else populate_sqlite)(db, spec, tasks)
    out = {"build_seconds": round(stopwatch() - t0, 1), "data": composition(db),
           "state_bytes_per_running_instance": len(spec["state"])}
    out.update(measure(db, calls))
    db.dispose()
    return out


def run(pg: bool = True, quick: bool = False) -> dict:
    calls = 112 if quick else 392                      # a multiple of the 28 user x filter cases
    out: dict = {"page_rows": PAGE,
                 "note": "list_tasks in a read-only unit of work per call; users x filters round-robin; "
                         "4 real processes deployed, 1 real complaint state cloned onto running instances, "
                         "history instances carry an empty state stub; shared 2-core machine: noisy"}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-inbox-") as tmp:
        out["sqlite"] = bench_database(f"sqlite:///{Path(tmp) / 'inbox.sqlite3'}", 20_000 if quick else 100_000,
                                       calls, postgres=False)
    if pg:
        from bench.pgserver import ServerMissing, new_database, throwaway_server
        try:
            with throwaway_server() as server:
                out["postgres"] = bench_database(new_database(server), 100_000 if quick else 1_000_000, calls,
                                                 postgres=True)
        except ServerMissing as e:
            out["postgres"] = f"skipped: {e}"
    return out
