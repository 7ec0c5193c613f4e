"""The desk's one search box (issue 11): instances and owners by room (part of it), owner name,
phone (any four or more digits: the last four are what an owner on the phone says), and words of
the complaint or repair text, Chinese included; and the instance list's filters (the process by its
name, status, the period it was started in, overdue).

Personal data (PIPL): phones in results are always masked (138****5678): a result list is a list.
An owner found here opens the register's room page (masked too); only the pages that take the
owner's case show the number in full, and record that view (engine/usecases/register.py)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from engine.clock import SHANGHAI, Clock
from engine.errors import BadInput, NotPermitted
from engine.rules.case import case_card, mask_phone
from engine.rules.permissions import Actor, may_view
from engine.rules.search_text import PHONE_DIGITS, terms
from engine.step.search import labels_of
from engine.usecases.results import instance_summary
from engine.usecases.runner import reads
from storage.models import Instance
from storage.uow import UnitOfWork

STATUSES = ("running", "completed", "cancelled", "error")
LIMIT = 20


def _viewable(uow: UnitOfWork, actor: Actor) -> dict[str, str]:
    """process id -> name, of the processes whose instances the actor may view (by its groups)."""
    out = {}
    for d in uow.definitions.latest_all("bpmn"):
        try:
            may_view(actor, d.meta)
        except NotPermitted:
            continue
        out[d.key] = d.meta.get("name") or d.name or d.key
    return out


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"日期格式应为 2026-11-20 (a date YYYY-MM-DD): {text!r}",
                       fields={field: {"key": "search.date", "message": "日期格式应为 2026-11-20"}}) from None


def _start_of(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=SHANGHAI)


def find_instances(uow: UnitOfWork, actor: Actor, clock: Clock, **filters: Any) -> list[dict[str, Any]]:
    """Newest first. ``process``: a process id, or part of its name (物业费 finds 物业费催缴);
    instances of processes the actor may not view are left out, not refused."""
    return [instance_summary(i) for i in _found(uow, actor, clock, **filters)]


def _found(uow: UnitOfWork, actor: Actor, clock: Clock, *, q: str | None = None, process: str | None = None,
           status: str | None = None, room: str | None = None, started_from: str | None = None,
           started_to: str | None = None, overdue: bool = False, limit: int = 50,
           with_data: bool = False) -> list[Instance]:
    viewable = _viewable(uow, actor)
    ids = list(viewable)
    if process:
        ids = [k for k, name in viewable.items() if process in (k, name) or process in name]
    words = terms(q or "")
    first, last = _day(started_from, "from"), _day(started_to, "to")
    return uow.search.instances(words, process_ids=ids, status=status if status in STATUSES else None,
                                room=(room or "").strip() or None,
                                started_from=_start_of(first) if first else None,
                                started_before=_start_of(last + timedelta(days=1)) if last else None,
                                overdue_at=clock.now() if overdue else None, limit=limit, with_data=with_data)


@reads
def search(uow: UnitOfWork, *, actor: Actor, clock: Clock, q: str) -> dict[str, Any]:
    """``GET /api/search?q=``: instances (with their case card, phones masked) and owners, each with its ``kind``."""
    if not actor.working_groups and not actor.is_auditor:
        raise NotPermitted("无权搜索 (staff only)")
    words = terms(q)
    if not words:
        message = f"请输入房号、姓名、电话（至少 {PHONE_DIGITS} 位数字）或投诉、报修内容中的词"
        raise BadInput(f"{message} (type a room, a name, {PHONE_DIGITS}+ digits of a phone, or words)",
                       fields={"q": {"key": "search.empty", "message": message}})
    results: list[dict[str, Any]] = []
    for room in uow.search.rooms(words, limit=LIMIT):
        for p in room.people:
            results.append({"kind": "owner", "room": room.code, "building": room.building, "person_kind": p.kind,
                            "name": p.name, "phones": [mask_phone(x) for x in p.phones.split(",") if x]})
    for inst in _found(uow, actor, clock, q=q, limit=LIMIT, with_data=True):
        meta = inst.definition.meta
        card = case_card(meta.get("case"), inst.data or {}, labels_of(meta), full=False)
        results.append({"kind": "instance", **instance_summary(inst), "who": card["who"], "what": card["what"]})
    return {"q": q, "terms": words, "results": results}
