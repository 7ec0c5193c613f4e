"""The reports of procedures.md for one month, computed from what the engine stored — instances, the
task projection, violations, the event log — never from what anyone meant to do: a month in which
all work was late really reports 0 %.

- ``kpis``: 投诉处理及时率 (complaints received in the month and closed with no violation of any
  deadline, over all received; target ≥ 90 %, M2 四10), the follow-up rates (M3: of the cases that
  reached a follow-up task, the share followed up, and followed up within the follow-up's own
  deadline; repairs ≥ 95 %, M3 4.4.6), 收缴率 per period (M0 收费 一、5: payments the process
  accepted, each capped at the amount due, over the amounts due), violations by deadline,
  statuses by process and the share of tasks done by the due time they had when they became ready.
- ``violations_report``: every violation recorded in the month, per responsible person or group
  (M1 附则: auditors list them per person and month).
- ``consistency_report``: nothing in error, no ready task nobody may take, every history telling
  its story, the hash chain intact (the invariants a soak run checks).

A follow-up task is one guarded by a deadline the procedures call a follow-up (C12 the complaint's
follow-up call, R2 and R4 the repair's): read from each version's BPMN, not listed by task name."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SHANGHAI, Clock, parse_instant
from engine.errors import BadInput
from engine.rules.permissions import SYSTEM, Actor, may_audit
from engine.usecases import report_breakdowns as breakdowns
from engine.usecases.audit import verify_audit
from engine.usecases.results import violation_json
from engine.usecases.runner import reads
from storage.models import Event, Instance, Task, Violation
from storage.uow import UnitOfWork

TIMELINESS_TARGET = 0.90
REPAIR_FOLLOW_UP_TARGET = 0.95
FOLLOW_UP_DEADLINES = ("C12", "R2", "R4")     # procedures.md §3 and §4


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of 'YYYY-MM' in Shanghai time, as UTC."""
    try:
        first = datetime.strptime(month or "", "%Y-%m").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise BadInput(f"月份应为 YYYY-MM (month must be YYYY-MM, got {month!r})", fields={
            "month": {"key": "report.month", "message": "月份格式：2026-11", "en": "YYYY-MM"}}) from None
    following = (first + timedelta(days=32)).replace(day=1)
    return first.astimezone(UTC), following.astimezone(UTC)


def _session(uow: UnitOfWork) -> Session:
    """The open unit of work's session: the report queries are read-only selects of their own."""
    if uow.session is None:
        raise RuntimeError("a report runs inside its unit of work")
    return uow.session


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _may_report(actor: Actor) -> None:
    if actor is not SYSTEM:
        may_audit(actor)


@reads
def kpis(uow: UnitOfWork, *, actor: Actor, clock: Clock, month: str,
         follow_up_tasks: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Every KPI for the instances started in ``month``. ``follow_up_tasks`` (process id -> task
    names) replaces what the BPMN says is a follow-up, for a simulation that wants another view."""
    _may_report(actor)
    start, end = month_bounds(month)
    s = _session(uow)
    started = select(Instance.id).where(Instance.started_at >= start, Instance.started_at < end)
    instances = list(s.scalars(select(Instance).where(Instance.id.in_(started))))
    tasks = list(s.scalars(select(Task).where(Task.instance_id.in_(started))))
    violations = list(s.scalars(select(Violation).where(Violation.instance_id.in_(started))))
    kinds = ("instance_started", "message_delivered", "task_ready")
    events = list(s.scalars(select(Event).where(Event.instance_id.in_(started), Event.type.in_(kinds))))
    first_due = {e.task_id: parse_instant(e.data["due_at"]) for e in events
                 if e.type == "task_ready" and (e.data or {}).get("due_at")}
    follow_up = _follow_ups(instances, follow_up_tasks)
    by_process: dict[str, list[Instance]] = defaultdict(list)
    for i in instances:
        by_process[i.process_id].append(i)
    violated = {v.instance_id for v in violations}

    on_time = {}
    for p, group in sorted(by_process.items()):
        good = sum(1 for i in group if i.status == "completed" and i.id not in violated)
        on_time[p] = {"value": _rate(good, len(group)), "closed_within_deadlines": good, "all": len(group)}
    complaints = on_time.get("complaint", {"value": None, "closed_within_deadlines": 0, "all": 0})
    rates = {p: _follow_up_rate(p, names, timers, tasks, violations)
             for p, (names, timers) in sorted(follow_up.items()) if names and p in by_process}
    # the due time a task was given when it became ready (the projection's due_at moves on to the next
    # pending timer once a non-interrupting deadline has fired)
    with_due = [t for t in tasks if t.state == "completed" and t.id in first_due]
    return {
        "month": month,
        "complaint_timeliness": {**complaints, "target": TIMELINESS_TARGET,
                                 "met": complaints["value"] is not None and complaints["value"] >= TIMELINESS_TARGET},
        "follow_up_rate": rates,
        "repair_follow_up_rate": {**rates.get("repair", {"value": None}), "target": REPAIR_FOLLOW_UP_TARGET},
        "collection_rate": _collection(events),
        "violations": _violation_totals(violations),
        "within_deadlines_by_process": on_time,
        "status": {p: dict(Counter(i.status for i in group)) for p, group in sorted(by_process.items())},
        "work_on_time": {"value": _rate(sum(1 for t in with_due if t.completed_at is not None
                                            and t.completed_at <= first_due[t.id]), len(with_due)),
                         "completed_with_due": len(with_due),
                         "completed": sum(1 for t in tasks if t.state == "completed")},
        "complaints": breakdowns.complaints(s, instances, violated),
        "repairs": breakdowns.repairs_by_route(s, instances),
        "overdue_now": breakdowns.overdue_now(s, clock.now()),
    }


def _follow_ups(instances: Iterable[Instance], override: Mapping[str, Sequence[str]] | None
                ) -> dict[str, tuple[set[str], set[str]]]:
    """Per process: the follow-up task names and the deadline timers guarding them, from the BPMN
    of each version started (or the override's task names, with the timers that guard them)."""
    out: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for i in {i.definition_id: i for i in instances}.values():
        names, timers = out[i.process_id]
        elements = i.definition.meta.get("elements", {})
        chosen = set(override.get(i.process_id, ())) if override is not None else {
            el.get("attached_to") for el in elements.values()
            if (el.get("properties") or {}).get("deadline") in FOLLOW_UP_DEADLINES}
        names |= {n for n in chosen if n}
        timers |= {element_id for element_id, el in elements.items()
                   if el.get("attached_to") in chosen and (el.get("properties") or {}).get("deadline")}
    return dict(out)


def _follow_up_rate(process: str, names: set[str], timers: set[str], tasks: list[Task],
                    violations: list[Violation]) -> dict[str, Any]:
    due = {t.instance_id for t in tasks if t.process_id == process and t.name in names}
    done = {t.instance_id for t in tasks if t.process_id == process and t.name in names and t.state == "completed"}
    late = {v.instance_id for v in violations if v.process_id == process and v.element_id in timers}
    return {"value": _rate(len(done), len(due)), "on_time": _rate(len(done - late), len(due)),
            "followed_up": len(done), "due": len(due), "deadlines": sorted(timers)}


def _violation_totals(violations: list[Violation]) -> dict[str, Any]:
    deadlines: dict[str, dict[str, Any]] = {}
    for v in violations:
        entry = deadlines.setdefault(v.deadline_id, {"count": 0, "amount": 0.0, "process": v.process_id})
        entry["count"] += 1
        entry["amount"] = round(entry["amount"] + float(v.amount), 2)
    return {"by_deadline": dict(sorted(deadlines.items(), key=lambda kv: (kv[1]["process"], kv[0]))),
            "count": len(violations), "amount": round(sum(float(v.amount) for v in violations), 2),
            "top_responsible": dict(Counter(v.responsible for v in violations).most_common(5))}


def _collection(events: list[Event]) -> dict[str, Any]:
    """收缴率 per period from the recorded start data and the payments the process accepted."""
    due: dict[int, tuple[str, float]] = {}
    paid: dict[int, float] = defaultdict(float)
    for e in events:
        data = e.data or {}
        if e.type == "instance_started" and data.get("process") == "fee_collection" and e.instance_id is not None:
            start = data.get("data") or {}
            due[e.instance_id] = (str(start.get("period")), float(start.get("amount_due") or 0))
        elif e.type == "message_delivered" and data.get("name") == "payment_received" and e.instance_id is not None:
            paid[e.instance_id] += float((data.get("data") or {}).get("amount") or 0)
    periods: dict[str, dict[str, Any]] = {}
    for instance_id, (period, amount) in due.items():
        entry = periods.setdefault(period, {"due": 0.0, "collected": 0.0, "cases": 0, "paid_in_full": 0})
        got = min(paid.get(instance_id, 0.0), amount)
        entry["due"] = round(entry["due"] + amount, 2)
        entry["collected"] = round(entry["collected"] + got, 2)
        entry["cases"] += 1
        entry["paid_in_full"] += got >= amount - 0.005
    for entry in periods.values():
        entry["value"] = _rate(round(entry["collected"] * 100), round(entry["due"] * 100))
    total_due = sum(p["due"] for p in periods.values())
    total = sum(p["collected"] for p in periods.values())
    return {"value": _rate(round(total * 100), round(total_due * 100)), "by_period": periods}


@reads
def violations_report(uow: UnitOfWork, *, actor: Actor, clock: Clock, month: str) -> dict[str, Any]:
    """The violations recorded in ``month``, oldest first, and per responsible person or group."""
    _may_report(actor)
    start, end = month_bounds(month)
    recorded = uow.violations.between(start, end)
    rows = [v for v in recorded if v.responsible_kind != "owner"]      # the staff's, not the owners' lateness
    people: dict[str, dict[str, Any]] = {}
    for v in rows:
        entry = people.setdefault(v.responsible, {"kind": v.responsible_kind, "count": 0, "amount": 0.0,
                                                  "deadlines": Counter()})
        entry["count"] += 1
        entry["amount"] = round(entry["amount"] + float(v.amount), 2)
        entry["deadlines"][v.deadline_id] += 1
    by_responsible = {name: {**e, "deadlines": dict(sorted(e["deadlines"].items()))}
                      for name, e in sorted(people.items(), key=lambda kv: (-kv[1]["amount"], kv[0]))}
    return {"month": month, "count": len(rows), "amount": round(sum(float(v.amount) for v in rows), 2),
            "by_responsible": by_responsible, "by_department": breakdowns.by_department(_session(uow), rows),
            "violations": [violation_json(v) for v in rows],
            "owner_lateness": [violation_json(v) for v in recorded if v.responsible_kind == "owner"]}


@reads
def consistency_report(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """Nothing in error, nothing orphaned, every history consistent and the hash chain intact."""
    _may_report(actor)
    s = _session(uow)
    instances = list(s.scalars(select(Instance)))
    errors = [{"instance": i.id, "process": i.process_id, "status": i.status, "error": i.error}
              for i in instances if i.status == "error" or i.error]
    orphaned = [{"task": t.id, "instance": t.instance_id, "name": t.name}
                for t in s.scalars(select(Task).where(Task.state == "ready"))
                if not t.assignee and not [g for g in t.candidate_groups.split(",") if g]]
    audit = verify_audit(uow, actor=SYSTEM, clock=clock)
    histories = _histories(uow, instances)
    return {"ok": not errors and not orphaned and audit.get("ok") is True and not histories,
            "instances": len(instances), "errors": errors[:20], "orphaned": orphaned[:20], "audit": audit,
            "history_problems": histories[:20],
            "counts": {"errors": len(errors), "orphaned": len(orphaned), "history_problems": len(histories)}}


def _histories(uow: UnitOfWork, instances: list[Instance]) -> list[dict[str, Any]]:
    """Each instance's events tell its story: it starts with instance_started, a completed instance
    has instance_completed, and every completed task row has its task_completed event."""
    s = _session(uow)
    by_instance: dict[int | None, list[Event]] = defaultdict(list)
    for e in s.scalars(select(Event).where(Event.instance_id.is_not(None)).order_by(Event.seq)):
        by_instance[e.instance_id].append(e)
    completed_rows: dict[int, set[str]] = defaultdict(set)
    for t in s.scalars(select(Task).where(Task.state == "completed")):
        completed_rows[t.instance_id].add(t.id)
    problems: list[dict[str, Any]] = []
    for i in instances:
        events = by_instance.get(i.id, [])
        types = [e.type for e in events]
        done = {e.task_id for e in events if e.type == "task_completed"}
        if not events or types[0] != "instance_started":
            problems.append({"instance": i.id, "problem": "does not begin with instance_started"})
        elif i.status == "completed" and "instance_completed" not in types:
            problems.append({"instance": i.id, "problem": "completed without an instance_completed event"})
        elif completed_rows[i.id] - done:
            problems.append({"instance": i.id, "problem": "completed tasks without task_completed events",
                             "tasks": sorted(completed_rows[i.id] - done)[:5]})
    return problems
