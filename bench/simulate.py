"""A simulated month: a few hundred randomized cases of every process, worked by the demo users
through the engine's own use cases, then the KPIs of procedures.md and the soak invariants.

    python -m bench.simulate --cases 300 --month 2026-11 [--seed N] [--db URL] [--on-time 0.9]

How it runs. A FixedClock starts at the first of the month and only moves forward, in steps
(``--step`` minutes, default 15) and to the exact time of each planned action; at every step and
before every action the timer sweep (``fire_due_timers``) runs, as the worker would: it also starts
the scheduled processes at each due moment of their timer start events (the report's ``scheduled``
lists the moments started). Cases start at random times spread over the month (each process's
policy says when in the day and the month; a scheduled process's cases are started by hand, ahead of
its schedule, as a desk may).
Whenever a task becomes ready, the demo user named after its lane (or its assignee) plans to claim
it a little later and to complete it later still, answering its form through the process's policy
(bench/policies). The delay is drawn against the task's own due time: with probability ``on_time``
the work is done at 5–85 % of the time allowed, otherwise after the due time. Tasks with no due
time take 1–40 minutes, or 1–3 days when late (a slow step with no deadline of its own
may breach a deadline of a later task that counts from the start of the case, e.g. C4). Fee cases
also get the owner's payments, delivered as the ``payment_received`` message at the times the
policy drew. At the end of the month the KPIs are computed from the stored data (the product's own
reports, engine/usecases/reports.py) and the invariants are checked; the exit status is 0 only when
they hold. Every step goes through the runner (engine.usecases.runner.handle), as the CLI and the
web app do.

Nothing here reads the wall clock for business time; the stopwatch only reports how long it took."""
from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.kpis import check_invariants
from bench.policies import Policy, policy_for
from engine.clock import SHANGHAI, FixedClock, to_iso
from engine.errors import BadInput, Conflict, NotFound, WuyeError
from engine.rules.groups import GROUPS
from engine.rules.penalties import PROCESSES_DIR
from engine.rules.permissions import SYSTEM
from engine.usecases.browse import startable_processes
from engine.usecases.deploy import deploy
from engine.usecases.duty import add_duty_shift, set_group_lead
from engine.usecases.init import initialize
from engine.usecases.instances import show_instance
from engine.usecases.messages import deliver_message
from engine.usecases.reports import kpis, month_bounds
from engine.usecases.runner import Database, connect, handle
from engine.usecases.scheduled_starts import list_schedules
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import claim_task, complete_task
from engine.usecases.timers import fire_due_timers

LATE_WITHOUT_DUE = (timedelta(days=1), timedelta(days=3))
ON_TIME_WITHOUT_DUE = (timedelta(minutes=1), timedelta(minutes=40))


def _stopwatch() -> float:
    return time.perf_counter()   # clock-ok: how long the run took, not business time


@dataclass(order=True)
class Planned:
    at: datetime
    seq: int
    kind: str = field(compare=False)             # start | claim | complete | message
    payload: dict = field(compare=False)


class Simulation:
    """One simulated month on one database."""

    def __init__(self, db: Database, *, month: str, cases: int, seed: int, on_time: float = 0.9,
                 step: timedelta = timedelta(minutes=15), processes: list[str] | None = None):
        self.db, self.rng, self.on_time, self.step = db, random.Random(seed), on_time, step
        self.start, self.end = month_bounds(month)
        self.clock = FixedClock(self.start)
        self.cases, self.month, self.seed = cases, month, seed
        self.only = processes
        self.queue: list[Planned] = []
        self.seq = 0
        self.planned_tasks: set[str] = set()
        self.refused: list[dict] = []
        self.counts = {"started": 0, "claimed": 0, "completed": 0, "superseded": 0, "messages": 0,
                       "messages_not_waiting": 0, "timers_fired": 0, "scheduled_starts": 0, "steps": 0}
        self.policies: dict[str, Policy] = {}
        self.startable: dict[str, dict] = {}         # process id -> its start form and start groups
        self.deploy_failures: dict[str, str] = {}

    # -- set-up -------------------------------------------------------------------------------------

    def deploy_processes(self, directory: Path = PROCESSES_DIR) -> list[str]:
        """Deploy each BPMN file on its own (with every DMN table), so one broken file is reported
        instead of stopping the whole run."""
        dmn = [(p.name, p.read_bytes()) for p in sorted(directory.glob("*.dmn"))]
        deployed = []
        for path in sorted(directory.glob("*.bpmn")):
            try:
                out = handle(self.db, deploy, actor=SYSTEM, clock=self.clock,
                             files=[(path.name, path.read_bytes()), *dmn])
                deployed += [d["id"] for d in out["deployed"] if d["kind"] == "bpmn"]
            except (BadInput, ValueError) as e:
                self.deploy_failures[path.name] = str(e)[:500]
        chosen = [p for p in dict.fromkeys(deployed) if not self.only or p in self.only]
        self.policies = {p: policy_for(p) for p in chosen}
        self.startable = {p["process"]: p for p in handle(self.db, startable_processes, actor="demo", clock=self.clock)}
        return chosen

    def duty_roster(self) -> None:
        """Every group's demo user is on duty the whole month (weekly shifts) and heads it: a breach
        on an unclaimed task is charged to a person, as M1 第十七条 has it, never to a group."""
        for group in GROUPS:
            try:                              # a group without its demo user (worker) keeps no roster
                handle(self.db, set_group_lead, actor=SYSTEM, clock=self.clock, group=group, head=group,
                       supervisor=None)
            except BadInput:
                continue
            week = self.start - timedelta(days=1)
            while week < self.end + timedelta(days=60):          # work late into the next months, too
                handle(self.db, add_duty_shift, actor=SYSTEM, clock=self.clock, group=group, user=group,
                       starts_at=to_iso(week), ends_at=to_iso(week + timedelta(days=7)))
                week += timedelta(days=7)

    def plan_starts(self) -> None:
        span = self.end - self.start
        for process, policy in self.policies.items():
            first, last = policy.start_days
            for n in range(self.cases):
                at = self.start + span * self.rng.uniform(first, last)
                if policy.start_hours is not None:
                    local = at.astimezone(SHANGHAI)
                    at = local.replace(hour=self.rng.randint(*policy.start_hours), minute=self.rng.randint(0, 59),
                                       second=0, microsecond=0).astimezone(UTC)
                self._plan(at, "start", {"process": process, "n": n})

    # -- the loop -----------------------------------------------------------------------------------

    def run(self) -> None:
        tick = self.start
        while tick < self.end:
            tick = min(tick + self.step, self.end)
            while self.queue and self.queue[0].at <= tick:
                item = heapq.heappop(self.queue)
                self._advance(max(item.at, self.clock.now()))
                getattr(self, f"_do_{item.kind}")(item.payload)
            self._advance(tick)

    def _advance(self, when: datetime) -> None:
        """Move the clock and fire what fell due, as the timer worker does."""
        self.clock.set(when)
        self.counts["steps"] += 1
        fired = handle(self.db, fire_due_timers, actor=None, clock=self.clock)
        self.counts["timers_fired"] += sum(1 for f in fired if f.get("timer"))
        self.counts["scheduled_starts"] += sum(1 for f in fired if f.get("scheduled_start"))
        for instance in {f["instance"] for f in fired}:
            self._plan_ready(self._ready_of(instance))
        for f in fired:
            if f.get("incident"):
                self.refused.append({"kind": "incident", "instance": f["instance"], "error": f["incident"]})

    def _plan(self, at: datetime, kind: str, payload: dict) -> None:
        self.seq += 1
        heapq.heappush(self.queue, Planned(at, self.seq, kind, payload))

    def _plan_ready(self, tasks: list[dict]) -> None:
        now = self.clock.now()
        for task in tasks:
            if task["id"] in self.planned_tasks or task["process"] not in self.policies:
                continue                      # planned already, or of a process this run does not simulate
            self.planned_tasks.add(task["id"])
            user = task.get("assignee") or task.get("lane") or next(iter(task.get("candidate_groups") or []), None)
            if user is None:
                continue                      # orphaned: the invariant check reports it
            delay = self._delay(task, now)
            self._plan(now + delay * self.rng.uniform(0.05, 0.3), "claim", {"task": task, "user": user})
            self._plan(now + delay, "complete", {"task": task, "user": user})

    def _delay(self, task: dict, now: datetime) -> timedelta:
        on_time = self.rng.random() < self.on_time
        if task.get("due_at"):
            allowed = datetime.fromisoformat(task["due_at"]) - now
            if allowed <= timedelta(0):
                return timedelta(minutes=self.rng.uniform(1, 30))
            if on_time:
                return allowed * self.rng.uniform(0.05, 0.85)
            return allowed + max(allowed, timedelta(minutes=30)) * self.rng.uniform(0.05, 1.0) + timedelta(seconds=1)
        low, high = ON_TIME_WITHOUT_DUE if on_time else LATE_WITHOUT_DUE
        return low + (high - low) * self.rng.random()

    def _call(self, fn: Callable[..., Any], user: str | None, **kw: Any) -> Any:
        return handle(self.db, fn, actor=user or SYSTEM, clock=self.clock, **kw)

    def _ready_of(self, instance: int) -> list[dict]:
        return self._call(show_instance, None, instance_id=instance)["ready"]

    # -- actions ------------------------------------------------------------------------------------

    def _do_start(self, p: dict) -> None:
        policy = self.policies[p["process"]]
        process = self.startable[p["process"]]
        starter = next(iter(process["start_groups"] or []), "demo")
        data = policy.start_data(process["start_form"], self.rng, self.clock.now(), p["n"])
        try:
            out = self._call(start_instance, starter, process_id=p["process"], data=data)
        except WuyeError as e:
            self.refused.append({"kind": "start", "process": p["process"], "data": data, "error": str(e)[:300]})
            return
        self.counts["started"] += 1
        self._plan_ready(out["ready"])
        if policy.payments:
            for delay, name, payload in policy.payments(self.rng, data, self.clock.now()):
                self._plan(self.clock.now() + delay, "message",
                           {"instance": out["instance"], "name": name, "data": payload})

    def _do_claim(self, p: dict) -> None:
        try:
            self._call(claim_task, p["user"], task_id=p["task"]["id"])
            self.counts["claimed"] += 1
        except (Conflict, NotFound):
            pass                              # cancelled meanwhile; the completion will notice
        except WuyeError as e:
            self.refused.append({"kind": "claim", "task": p["task"]["name"], "user": p["user"], "error": str(e)})

    def _do_complete(self, p: dict) -> None:
        task, user = p["task"], p["user"]
        def data() -> dict:
            return self._call(show_instance, None, instance_id=task["instance"])["data"]

        policy = self.policies.get(task["process"])
        if policy is None:                    # a process this run does not simulate (a scheduled start of it)
            return
        answer = policy.answer(task, data, self.rng, self.clock.now())
        try:
            out = self._call(complete_task, user, task_id=task["id"], data=answer)
        except (Conflict, NotFound):
            self.counts["superseded"] += 1    # an interrupting timer or message took it away
            return
        except WuyeError as e:
            self.refused.append({"kind": "complete", "process": task["process"], "task": task["name"],
                                 "instance": task["instance"], "data": answer, "error": str(e)[:300]})
            return
        self.counts["completed"] += 1
        self._plan_ready(out["ready"])

    def _do_message(self, p: dict) -> None:
        try:
            out = self._call(deliver_message, "finance", instance_id=p["instance"], name=p["name"], data=p["data"])
        except NotFound:
            self.counts["messages_not_waiting"] += 1   # already paid off, ended, or between waits
            return
        except WuyeError as e:
            self.refused.append({"kind": "message", "instance": p["instance"], "error": str(e)[:300]})
            return
        self.counts["messages"] += 1
        self._plan_ready(out["ready"])

    # -- the report ---------------------------------------------------------------------------------

    def report(self, seconds: float) -> dict:
        return {"month": self.month, "seed": self.seed, "cases_per_process": self.cases, "on_time": self.on_time,
                "processes": list(self.policies), "deploy_failures": self.deploy_failures,
                "clock": {"from": to_iso(self.start), "to": to_iso(self.clock.now()),
                          "step_minutes": self.step.total_seconds() / 60},
                "activity": self.counts,
                "scheduled": handle(self.db, list_schedules, actor=None, clock=self.clock),
                "kpis": handle(self.db, kpis, actor=SYSTEM, clock=self.clock, month=self.month),
                "invariants": check_invariants(self.db, clock=self.clock, refused=self.refused),
                "seconds": round(seconds, 1)}


def simulate(db: Database, *, month: str, cases: int, seed: int, on_time: float = 0.9,
             step_minutes: float = 15, processes: list[str] | None = None,
             processes_dir: Path = PROCESSES_DIR) -> dict:
    """Run one month on an initialized database (groups and demo users) and return the report."""
    began = _stopwatch()
    sim = Simulation(db, month=month, cases=cases, seed=seed, on_time=on_time,
                     step=timedelta(minutes=step_minutes), processes=processes)
    sim.deploy_processes(processes_dir)
    sim.duty_roster()
    sim.plan_starts()
    sim.run()
    return sim.report(_stopwatch() - began)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.simulate", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=300, help="cases per process (default 300)")
    p.add_argument("--month", default="2026-11", help="the simulated month, YYYY-MM")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--db", help="database URL (default: a new SQLite file in a temporary directory)")
    p.add_argument("--on-time", type=float, default=0.9, help="chance a piece of work is done by its due time")
    p.add_argument("--step", type=float, default=15, help="clock step in minutes")
    p.add_argument("--processes", help="comma-separated process ids (default: every process in processes/)")
    args = p.parse_args(argv)
    if not 0 <= args.on_time <= 1 or args.cases < 1 or args.step <= 0:
        p.error("--on-time must be within 0..1, --cases at least 1, --step positive")
    try:
        start, _ = month_bounds(args.month)
    except BadInput as e:
        p.error(f"--month: {e.message}")
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='wuye-sim-')}/sim.sqlite3"
    db = connect(url)
    empty = Path(tempfile.mkdtemp(prefix="wuye-sim-none-"))
    handle(db, initialize, actor=None, clock=FixedClock(start - timedelta(days=1)), demo=True, processes_dir=empty,
           simulation=True)
    report = simulate(db, month=args.month, cases=args.cases, seed=args.seed, on_time=args.on_time,
                      step_minutes=args.step, processes=args.processes.split(",") if args.processes else None)
    report["database"] = url if args.db is None else "(given)"
    print(json.dumps(report, ensure_ascii=False, indent=2))
    db.dispose()
    ok = report["invariants"]["ok"] and not report["deploy_failures"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
