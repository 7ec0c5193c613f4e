"""投诉处理情况月报表 (M1 第十六条): the figures the built-in topic ``wuye.report`` puts into a
monthly_complaint_report instance.

The service task ``report=complaints`` reads the month its instance's ``report_month`` names
(``YYYY-MM``, set by the process when it starts), takes the complaint figures of that month from the
report use case (engine/usecases/reports.py ``kpis``) and completes with them. They become the
instance's data (shown on the instance page and in the printable record) and are the completion's
submitted data in the history: a replay feeds them back as recorded, it does not compute them again
(the month's instances may have changed since; the report is what was signed)."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.rules.permissions import SYSTEM
from engine.step import runtime
from engine.usecases.reports import kpis
from storage.models import Instance
from storage.uow import UnitOfWork

__all__ = ["REPORTS", "REPORTS_WORKER", "complaint_figures", "make_report"]

REPORTS_WORKER = "wuye-reports"


def complaint_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The report's lines from ``kpis``: complaints received, closed within every deadline, the
    timeliness rate against its 90 % target, and the complaint deadlines' violations and penalties."""
    timely = figures["complaint_timeliness"]
    broken = {k: v for k, v in figures["violations"]["by_deadline"].items() if v["process"] == "complaint"}
    rate = timely["value"]
    return {
        "complaints_received": timely["all"],
        "complaints_on_time": timely["closed_within_deadlines"],
        "complaint_timeliness": "当月无投诉" if rate is None else f"{rate * 100:.1f}%",
        "timeliness_met": bool(timely["met"]),
        "complaint_violations": sum(v["count"] for v in broken.values()),
        "complaint_penalties": round(sum(v["amount"] for v in broken.values()), 2),
        "violations_by_deadline": "；".join(f"{k} {v['count']}次 ¥{v['amount']:g}" for k, v in broken.items())
                                  or "无",
    }


REPORTS = {"complaints": complaint_figures}      # the ``report`` property's values


def make_report(uow: UnitOfWork, clock: Clock, instance: Instance, task_id: str, kind: str) -> None:
    """Complete the service task with the month's figures, in the caller's transaction (the caller
    holds the instance's lock: engine/usecases/builtin_topics.py)."""
    figures: dict[str, Any] = {}

    def complete(run: Any) -> None:
        month = str(run.task_data(task_id).get("report_month") or "")
        figures.update(REPORTS[kind](kpis(uow, actor=SYSTEM, clock=clock, month=month)))
        run.complete(task_id, figures)

    runtime.step(uow, instance, SYSTEM, clock, complete, acted_task=task_id, submitted=figures)
