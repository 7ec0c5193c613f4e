"""Audit benchmarks (issue 10): `audit verify` events per second over a large log (goal ≥ 200k/s),
extending the Merkle tree, the root and an inclusion proof at that size (goal < 5 ms a proof).

The log is synthetic but valid: events chained exactly as the repositories chain them, written
straight into a fresh SQLite file (making a million through the engine would take an hour).

    python -m bench.audit --events 1000000
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from engine.clock import FixedClock
from engine.rules.permissions import SYSTEM
from engine.usecases.audit import verify_audit
from engine.usecases.checkpoints import inclusion_proof, make_checkpoint
from engine.usecases.init import initialize
from engine.usecases.runner import connect, handle
from storage.chain import GENESIS, event_hash
from storage.models import ChainHead, Event
from storage.uow import Database

CLOCK = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


def _timer() -> float:
    return time.perf_counter()     # clock-ok: benchmark stopwatch


def _cpu() -> float:
    return time.process_time()     # this process's CPU time: the figure that holds on a shared machine


def build_log(db: Database, events: int, batch: int = 20000) -> None:
    """``events`` valid chained events after whatever the database holds (none after init)."""
    prev, seq, start = GENESIS, 0, CLOCK.now() - timedelta(days=400)
    with db.uow(readonly=True) as uow:
        head = uow.events.head()
        if head is not None:
            prev, seq = head.hash, head.seq
    if head is None:
        with db.engine.begin() as conn:
            conn.execute(insert(ChainHead).values(id=1, seq=0, hash=GENESIS))
    while seq < events:
        rows = []
        for _ in range(min(batch, events - seq)):
            seq += 1
            at = start + timedelta(seconds=seq)
            row: dict[str, Any] = {"seq": seq, "instance_id": seq % 5000 + 1, "type": "task_completed",
                                   "actor": "butler", "at": at, "task_id": None,
                                   "data": {"name": "handle", "values": {"note": "已处理", "n": seq}}}
            row["prev_hash"] = prev
            row["hash"] = prev = event_hash(seq=seq, instance_id=row["instance_id"], type=row["type"],
                                            actor=row["actor"], at=at, task_id=None, data=row["data"],
                                            prev_hash=prev)
            rows.append(row)
        with db.engine.begin() as conn:
            conn.execute(insert(Event), rows)
            conn.execute(update(ChainHead).where(ChainHead.id == 1).values(seq=seq, hash=prev))


def run(pg: bool = False, quick: bool = False, events: int | None = None) -> dict[str, Any]:
    events = events or (20000 if quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="wuye-bench-audit-") as tmp:
        db = connect(f"sqlite:///{tmp}/audit.sqlite3")
        empty = Path(tmp) / "none"
        empty.mkdir()
        handle(db, initialize, actor=None, clock=CLOCK, processes_dir=empty, simulation=True)
        t0 = _timer()
        build_log(db, events)
        built = _timer() - t0
        load_before = os.getloadavg()[0]
        t0, c0 = _timer(), _cpu()
        verified = handle(db, verify_audit, actor=SYSTEM, clock=CLOCK)
        verify_s, verify_cpu = _timer() - t0, _cpu() - c0
        os.environ["WUYE_AUDIT_KEY"] = f"{tmp}/audit.key"
        t0 = _timer()
        made = handle(db, make_checkpoint, actor=SYSTEM, clock=CLOCK)      # extends the tree first
        checkpoint_s = _timer() - t0
        proofs, proofs_cpu = [], []
        for k in range(1, 101):
            seq = max(1, (made["size"] * k) // 101)
            t0, c0 = _timer(), _cpu()
            proof = handle(db, inclusion_proof, actor=SYSTEM, clock=CLOCK, seq=seq, size=made["size"])
            proofs.append(_timer() - t0)
            proofs_cpu.append(_cpu() - c0)
            assert proof["verified"], seq
        db.dispose()
    return {"events": events, "build_seconds": round(built, 1), "verify_ok": verified["ok"],
            "verify_seconds": round(verify_s, 2), "verify_events_per_second": round(events / verify_s),
            "verify_cpu_seconds": round(verify_cpu, 2),
            "verify_events_per_cpu_second": round(events / max(verify_cpu, 1e-9)),
            "goal_verify_events_per_second": 200_000,
            "checkpoint_seconds_first": round(checkpoint_s, 2),
            "proof_median_ms": round(statistics.median(proofs) * 1000, 2),
            "proof_max_ms": round(max(proofs) * 1000, 2), "goal_proof_ms": 5.0,
            "proof_median_cpu_ms": round(statistics.median(proofs_cpu) * 1000, 2),
            "load_average_1min": {"before_verify": round(load_before, 2), "at_end": round(os.getloadavg()[0], 2)}}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.audit")
    p.add_argument("--events", type=int, default=1_000_000)
    args = p.parse_args()
    print(json.dumps(run(events=args.events), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
