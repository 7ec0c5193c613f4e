"""The month's KPIs and the soak invariants, as bench.simulate reports them: the computations are
the product's own reports (engine/usecases/reports.py), run through the runner as the system."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.clock import SHANGHAI, Clock, FixedClock
from engine.rules.permissions import SYSTEM
from engine.usecases.reports import consistency_report, kpis, month_bounds
from engine.usecases.runner import Database, handle


def compute_kpis(db: Database, *, start: datetime, end: datetime,
                 follow_up_tasks: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Every KPI for instances started in the calendar month [start, end) (bench.simulate's bounds)."""
    month = start.astimezone(SHANGHAI).strftime("%Y-%m")
    if month_bounds(month) != (start, end):
        raise ValueError(f"[{start}, {end}) is not one calendar month in Shanghai time")
    return handle(db, kpis, actor=SYSTEM, clock=FixedClock(end), month=month, follow_up_tasks=follow_up_tasks)


def check_invariants(db: Database, *, clock: Clock, refused: list[dict]) -> dict[str, Any]:
    """The soak invariants (engine/usecases/reports.consistency_report), and no valid answer refused."""
    report = handle(db, consistency_report, actor=SYSTEM, clock=clock)
    return {**report, "ok": report["ok"] and not refused, "refused": refused[:20],
            "counts": {**report["counts"], "refused": len(refused)}}
