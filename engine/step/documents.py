"""Documents a step issues: the collection letters of M0 二、3–6.

An element that carries ``camunda:property letter="reminder|demand|urgent|lawyer"`` issues that
letter when it completes, in the step's transaction: rendered (engine.rules.letters) from that task's
data plus the process variables (the current balance), numbered per kind and year, stored with its
sha-256, and announced by a ``letter_issued`` event carrying the number and the hash — the event log
is a hash chain, so the stored letter can later be shown to be exactly what was issued, and when."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import SHANGHAI
from engine.rules.letters import KINDS, LetterFailed, arrears_of, digest, render
from engine.step.context import StepContext
from storage.models import Letter
from storage.uow import UnitOfWork


def issue_letters(ctx: StepContext) -> None:
    for c in ctx.changes:
        kind = ((ctx.elements.get(c.element_id or "") or {}).get("properties") or {}).get("letter")
        if not kind or c.new != "COMPLETED" or c.old == "COMPLETED":
            continue
        data = {**ctx.run.task_data(c.task_id), **ctx.run.variables}
        letter = issue(ctx.uow, instance_id=ctx.instance.id, kind=kind, data=data, issued_by=ctx.actor.name,
                       now=ctx.now, task_id=c.task_id)
        ctx.emit("letter_issued", c.task_id, name=c.element_id, kind=kind, title=KINDS[kind].title,
                 number=letter.number, sha256=letter.sha256, letter=letter.id)


def letterhead(uow: UnitOfWork) -> dict[str, str]:
    """The company's name, address, phone and payment channels as set now (engine/usecases/letterhead.py)."""
    return {k: uow.settings.get(f"company.{k}") or "" for k in ("name", "address", "phone", "payment_channels")}


def issue(uow: UnitOfWork, *, instance_id: int, kind: str, data: dict[str, Any], issued_by: str, now: datetime,
          task_id: str | None) -> Letter:
    """Number, render and store one letter. Numbers are sequential per kind and year (Shanghai);
    the caller's transaction already holds the event chain's head (see LetterRepository.next_seq)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise LetterFailed(f"未知的函件类型 (unknown letter kind) {kind!r}; known: {', '.join(KINDS)}")
    today = now.astimezone(SHANGHAI).date()
    debt = arrears_of(data, today)
    seq = uow.letters.next_seq(kind, today.year)
    number = f"{spec.prefix}-{today.year}-{seq:06d}"
    html = render(kind, debt, number=number, issued_on=today, data=data, company=letterhead(uow))
    return uow.letters.add(Letter(instance_id=instance_id, task_id=task_id, kind=kind, number=number,
                                  year=today.year, seq=seq, issued_at=now, issued_by=issued_by, html=html,
                                  sha256=digest(html)))
