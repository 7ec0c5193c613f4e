"""Outbox delivery lateness (issue 11): the wall-clock time from the commit of the step that wrote a
notice to the moment a real local HTTP receiver (speaking Aliyun SMS's wire format) has it, sent by
the real timer loop (cli/timer_loop.py) running on its own thread, as under `wuye serve`.

Each round completes a step that makes a task ready for engineering (tests/bpmn/leave_request.bpmn,
visit_request), whose member has a phone: one SMS per round. The loop is woken by the commit itself
(the notice's commit signal, in process); on SQLite it also looks every 0.5 s, on PostgreSQL every
30 s at most. Run: ``python -m bench.notify_latency [--rounds N] [--db sqlite|postgresql]``."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cli.timer_loop import TimerLoop
from engine.clock import SystemClock
from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.notify_settings import save_channel, save_contact
from engine.usecases.runner import handle
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from tests.support import BPMN_DIR, initialized
from tests.tools.notify_receiver import receiving, sms_settings


def measure(url: str, rounds: int) -> list[float]:
    empty = Path(tempfile.mkdtemp()) / "none"
    empty.mkdir()
    db = initialized(url, empty)
    clock = SystemClock()
    handle(db, deploy, actor=SYSTEM, clock=clock,
           files=[("leave_request.bpmn", (BPMN_DIR / "leave_request.bpmn").read_bytes())])
    lateness: list[float] = []
    with receiving() as receiver:
        handle(db, save_channel, actor="admin", clock=clock, name="sms", kind="sms", enabled=True,
               settings=sms_settings(receiver))
        handle(db, save_contact, actor="admin", clock=clock, user_name="engineering", phone="13800001234",
               email="", quiet_from="", quiet_to="")
        loop = TimerLoop(db, clock)
        loop.start()
        loop.ready.wait(10)
        try:
            for _ in range(rounds):
                started = handle(db, start_instance, actor="front_desk", clock=clock, process_id="visit_request",
                                 data={"room": "3-2-1102"})
                before = len(receiver.got)
                receiver.arrived.clear()
                handle(db, complete_task, actor="front_desk", clock=clock, task_id=started["ready"][0]["id"],
                       data={"content": "厨房水管漏水"})
                committed = time.monotonic()
                deadline = committed + 60
                while len(receiver.got) == before and time.monotonic() < deadline:
                    receiver.arrived.wait(0.05)
                if len(receiver.got) > before:
                    lateness.append(receiver.got[before].at - committed)
        finally:
            loop.stop()
    db.dispose()
    return lateness


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    if args.db == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'notify.sqlite3'}"
        got = measure(url, args.rounds)
    else:
        from bench.pgserver import throwaway_server
        from tests.support import new_pg_database
        with throwaway_server() as server:
            got = measure(new_pg_database(server), args.rounds)
    ms = sorted(x * 1000 for x in got)
    print(f"{args.db}: {len(ms)}/{args.rounds} delivered; lateness ms p50 {statistics.median(ms):.1f} "
          f"p95 {ms[int(len(ms) * 0.95) - 1]:.1f} max {ms[-1]:.1f}")


if __name__ == "__main__":
    main()
