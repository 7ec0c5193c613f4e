"""The auditor's instance search (品质部, supervisors): over every process's instances and their data,
by room, owner name, phone, process, period, status, violation and responsible person.

It is not the desk's owner search (that one finds owners in the owner register): it finds
*instances*, and reads the name and phone each instance recorded itself (the complaint's 投诉人,
the fee case's and move-in's 业主), so an auditor finds what the record says, not today's register."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import undefer

from engine.clock import SHANGHAI, Clock
from engine.errors import BadInput
from engine.rules.permissions import Actor, may_read_history
from engine.usecases.browse import STATUSES
from engine.usecases.results import instance_summary
from engine.usecases.runner import reads
from storage.models import Instance, Violation
from storage.uow import UnitOfWork

OWNER_FIELDS = ("complainant", "owner", "owner_name")      # where each procedure records the owner's name
SCAN = 5000                                                 # instances read per search at most


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise BadInput(f"{field}: 日期应为 YYYY-MM-DD (a date like 2026-11-20)",
                       fields={field: {"key": f"search.{field}", "message": "日期格式：2026-11-20"}}) from None


@reads
def audit_search(uow: UnitOfWork, *, actor: Actor, clock: Clock, room: str = "", owner: str = "", phone: str = "",
                 process: str = "", since: str = "", until: str = "", status: str = "", violation: str = "",
                 responsible: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Newest first. ``since``/``until`` are days (Shanghai) the instance started on or between;
    ``violation`` is "yes" (any), "no" (none) or a deadline id (e.g. C3); text matches are substrings."""
    may_read_history(actor)
    if uow.session is None:
        raise RuntimeError("the search runs inside its unit of work")
    q = select(Instance).options(undefer(Instance.data))
    if process:
        q = q.where(Instance.process_id == process)
    if status in STATUSES:
        q = q.where(Instance.status == status)
    if room.strip():
        q = q.where(Instance.room.contains(room.strip(), autoescape=True))
    first, last = _day(since, "since"), _day(until, "until")
    if first is not None:
        q = q.where(Instance.started_at >= first)
    if last is not None:
        q = q.where(Instance.started_at < last + timedelta(days=1))
    breached = select(Violation.id).where(Violation.instance_id == Instance.id)
    if violation == "yes":
        q = q.where(exists(breached))
    elif violation == "no":
        q = q.where(~exists(breached))
    elif violation.strip():
        q = q.where(exists(breached.where(Violation.deadline_id == violation.strip())))
    if responsible.strip():
        q = q.where(exists(breached.where(Violation.responsible == responsible.strip())))
    out = []
    for inst in uow.session.scalars(q.order_by(Instance.id.desc()).limit(SCAN)):
        data = inst.data or {}
        if owner.strip() and not any(owner.strip() in str(data.get(f) or "") for f in OWNER_FIELDS):
            continue
        if phone.strip() and phone.strip().replace("-", "") not in str(data.get("phone") or "").replace("-", ""):
            continue
        out.append({**instance_summary(inst), "owner": next((str(data[f]) for f in OWNER_FIELDS if data.get(f)), ""),
                    "phone": str(data.get("phone") or "")})
        if len(out) >= limit:
            break
    return out
