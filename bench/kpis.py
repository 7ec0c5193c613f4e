"""The KPIs of procedures.md and the soak invariants, computed from what the engine stored.

Why a separate module: the figures must come from the data (instances, the task projection,
violations, the event log), never from what the simulator meant to do, so that a run in which all
work is late really reports 0 % and a broken engine really fails the invariants.

KPIs (procedures §3–§6):
- 投诉处理及时率: complaints received in the month that are closed (completed) with no violation
  of any deadline, over all complaints received in the month; target ≥ 90 % (M2 四10).
- follow-up rates (M3): of the cases that reached a follow-up task (应回访), the share whose
  follow-up was done (已回访), and done with no violation of the follow-up's own deadline;
  target ≥ 95 % for repairs (M3 4.4.6).
- 收缴率 per period (M0 收费 一、5): payments accepted by the process (message_delivered events,
  each capped at the balance) over the amounts due.
- violations by deadline id (count and amount), statuses by process, and the share of completed
  tasks that had a due time when they became ready and were completed by it (work on time)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select

from engine.clock import Clock, parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.audit import verify_audit
from storage.models import Event, Instance, Task, Violation
from storage.uow import Database

TIMELINESS_TARGET = 0.90
REPAIR_FOLLOW_UP_TARGET = 0.95


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compute_kpis(db: Database, *, start: datetime, end: datetime, follow_up_tasks: dict[str, tuple[str, ...]]) -> dict:
    """Every KPI for instances started in [start, end)."""
    with db.uow(readonly=True) as uow:     # rows are read inside the transaction they belong to
        return _compute(uow.session, start, end, follow_up_tasks)


def _compute(s, start: datetime, end: datetime, follow_up_tasks: dict[str, tuple[str, ...]]) -> dict:
    instances = list(s.scalars(select(Instance).where(Instance.started_at >= start, Instance.started_at < end)))
    ids = {i.id for i in instances}
    tasks = [t for t in s.scalars(select(Task)) if t.instance_id in ids]
    violations = [v for v in s.scalars(select(Violation)) if v.instance_id in ids]
    events = [e for e in s.scalars(select(Event).where(Event.type.in_(("instance_started", "message_delivered"))))
              if e.instance_id in ids]
    first_due = {e.task_id: parse_instant(e.data["due_at"])
                 for e in s.scalars(select(Event).where(Event.type == "task_ready"))
                 if e.instance_id in ids and (e.data or {}).get("due_at")}
    follow_up_deadlines = _follow_up_timers(instances, follow_up_tasks)
    by_process: dict[str, list[Instance]] = defaultdict(list)
    for i in instances:
        by_process[i.process_id].append(i)
    violated = {v.instance_id for v in violations}

    status = {p: dict(Counter(i.status for i in group)) for p, group in sorted(by_process.items())}
    on_time = {}
    for p, group in sorted(by_process.items()):
        good = sum(1 for i in group if i.status == "completed" and i.id not in violated)
        on_time[p] = {"value": _rate(good, len(group)), "closed_within_deadlines": good, "all": len(group)}
    complaints = on_time.get("complaint", {"value": None, "closed_within_deadlines": 0, "all": 0})

    follow_up = {}
    for p, names in sorted(follow_up_tasks.items()):
        if not names or p not in by_process:
            continue
        due = {t.instance_id for t in tasks if t.process_id == p and t.name in names}
        done = {t.instance_id for t in tasks if t.process_id == p and t.name in names and t.state == "completed"}
        late = {v.instance_id for v in violations if v.element_id in follow_up_deadlines.get(p, set())}
        follow_up[p] = {"value": _rate(len(done), len(due)), "on_time": _rate(len(done - late), len(due)),
                        "followed_up": len(done), "due": len(due), "deadlines": sorted(follow_up_deadlines.get(p, ()))}

    deadlines: dict[str, dict] = {}
    for v in violations:
        entry = deadlines.setdefault(v.deadline_id, {"count": 0, "amount": 0.0, "process": v.process_id})
        entry["count"] += 1
        entry["amount"] = round(entry["amount"] + float(v.amount), 2)
    responsible = Counter(v.responsible for v in violations)

    # the due time a task was given when it became ready (the projection's due_at moves on to the next
    # pending timer once a non-interrupting deadline has fired)
    with_due = [t for t in tasks if t.state == "completed" and t.id in first_due]
    work = {"value": _rate(sum(1 for t in with_due if t.completed_at <= first_due[t.id]), len(with_due)),
            "completed_with_due": len(with_due),
            "completed": sum(1 for t in tasks if t.state == "completed")}

    return {
        "complaint_timeliness": {**complaints, "target": TIMELINESS_TARGET,
                                 "met": complaints["value"] is not None and complaints["value"] >= TIMELINESS_TARGET},
        "follow_up_rate": follow_up,
        "repair_follow_up_rate": {**follow_up.get("repair", {"value": None}), "target": REPAIR_FOLLOW_UP_TARGET},
        "collection_rate": _collection(events),
        "violations": {"by_deadline": dict(sorted(deadlines.items(), key=lambda kv: (kv[1]["process"], kv[0]))),
                       "count": len(violations), "amount": round(sum(float(v.amount) for v in violations), 2),
                       "top_responsible": dict(responsible.most_common(5))},
        "within_deadlines_by_process": on_time,
        "status": status,
        "work_on_time": work,
    }


def _follow_up_timers(instances: list[Instance], follow_up_tasks: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Per process, the timer elements guarding a follow-up task (C12, R4, ...), read from the BPMN."""
    out: dict[str, set[str]] = defaultdict(set)
    for i in {i.definition_id: i for i in instances}.values():
        names = set(follow_up_tasks.get(i.process_id, ()))
        for element_id, el in i.definition.meta.get("elements", {}).items():
            if el.get("attached_to") in names and (el.get("properties") or {}).get("deadline"):
                out[i.process_id].add(element_id)
    return out


def _collection(events: list[Event]) -> dict:
    """收缴率 per period from the recorded start data and the payments the process accepted."""
    due: dict[int, tuple[str, float]] = {}
    paid: dict[int, float] = defaultdict(float)
    for e in events:
        data = e.data or {}
        if e.type == "instance_started" and data.get("process") == "fee_collection":
            start = data.get("data") or {}
            due[e.instance_id] = (str(start.get("period")), float(start.get("amount_due") or 0))
        elif e.type == "message_delivered" and data.get("name") == "payment_received":
            paid[e.instance_id] += float((data.get("data") or {}).get("amount") or 0)
    periods: dict[str, dict] = {}
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


def check_invariants(db: Database, *, clock: Clock, refused: list[dict]) -> dict:
    """The soak invariants: nothing in error, nothing orphaned, every history consistent and the
    hash chain intact, and no valid answer refused."""
    with db.uow(readonly=True) as uow:
        s = uow.session
        instances = list(s.scalars(select(Instance)))
        errors = [{"instance": i.id, "process": i.process_id, "status": i.status, "error": i.error}
                  for i in instances if i.status == "error" or i.error]
        orphaned = [{"task": t.id, "instance": t.instance_id, "name": t.name}
                    for t in s.scalars(select(Task).where(Task.state == "ready"))
                    if not t.assignee and not [g for g in t.candidate_groups.split(",") if g]]
        audit = verify_audit(uow, actor=SYSTEM, clock=clock)
        histories = _histories(s, instances)
    ok = not errors and not orphaned and audit.get("ok") is True and not histories and not refused
    return {"ok": ok, "instances": len(instances), "errors": errors[:20], "orphaned": orphaned[:20],
            "audit": audit, "history_problems": histories[:20], "refused": refused[:20],
            "counts": {"errors": len(errors), "orphaned": len(orphaned), "history_problems": len(histories),
                       "refused": len(refused)}}


def _histories(s, instances: list[Instance]) -> list[dict]:
    """Each instance's events tell its story: it starts with instance_started, a completed instance
    has instance_completed, and every completed task row has its task_completed event."""
    by_instance: dict[int, list[Event]] = defaultdict(list)
    for e in s.scalars(select(Event).where(Event.instance_id.is_not(None)).order_by(Event.seq)):
        by_instance[e.instance_id].append(e)
    completed_rows: dict[int, set[str]] = defaultdict(set)
    for t in s.scalars(select(Task).where(Task.state == "completed")):
        completed_rows[t.instance_id].add(t.id)
    problems = []
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
