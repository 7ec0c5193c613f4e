"""Deadlines broken in a step: who is responsible and what it costs.

A timer that carries a ``deadline`` property records a violation when it fires. Responsible, in
this order:
1. the assignee of the task it guards;
2. the person who held the work when the deadline passed, for a guarded user task reached only
   after its deadline (a deadline counted from receipt on a later step: C4, C11) — not who just got it;
3. the person whose action reached an intermediate timer already overdue (it guards no task: a
   result reported the day after it was done);
4. else the ``responsible`` property, the guarded task's lane, or the timer's lane (a group).

``responsible="holder"`` names whoever holds the case when the deadline passes: the newest open
user task other than alerts and those the ``holder_not`` property lists (names, or prefixes ending in
``*``: the escalation chain itself, side tasks such as progress feedback), by its assignee, else its
lane. Where M1 names several payers (C7: 责任人, 责任主管, 责任部门负责人), the
timer's ``co_payers`` property (``ROLE=WHO,…``) gives each role of the penalty table's ``also``
list its own row: WHO is ``assignee`` (the guarded task's holder), ``holder``, ``holder_lane``,
``head`` / ``supervisor`` (of the responsible's department, set in the admin pages), a group id, or
``a/b`` (the first found). ``once="true"`` charges the deadline once per instance, whichever timer
fires first. ``responsible="done_by:TASK"`` names who completed TASK (the record an audit finds
incomplete), ``responsible="var:NAME"`` the person a variable names (the first receiver, else the
starter); ``per="VAR"`` multiplies the amount by a count the step recorded (30 yuan a missing item).

A person pays, not a group (M1 第十七条): a charge that resolves to a group goes to its person on
duty then, else its head, marked unclaimed (engine/step/payers.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.rules import penalties
from engine.rules.permissions import SYSTEM, TIMER
from engine.spiff import Change
from engine.step import payers
from engine.step.context import StepContext
from engine.step.rule_tables import rule_tables


def charge(ctx: StepContext, change: Change, el: dict[str, Any]) -> None:
    props = el.get("properties") or {}
    deadline = props.get("deadline")
    if not deadline:
        return
    if props.get("once") == "true" and ctx.uow.step_rows.has_violation(ctx.instance.id, deadline):
        return
    times = _times(ctx, props)
    if times == 0:
        return
    guarded = el.get("attached_to")
    row = next((r for r in ctx.open_rows.values() if r.name == guarded), None)
    responsible, kind, lane = _named(ctx, props) or _fallback(ctx, el, props, guarded, row, change)
    table = rule_tables(ctx.uow).penalties()              # the version in force now, from the database
    if penalties.is_owners(deadline, table):
        kind = "owner"              # the owner's lateness: shown and counted apart from the staff's
    else:
        responsible, kind = payers.person_for(ctx, responsible, kind)
    amount = penalties.amount_for(deadline, props, table) * change.count * times    # every period a cycle missed
    description = props.get("description") or penalties.describe(deadline, table) or el.get("name", "")
    if change.count > 1 or times > 1:
        description = f"{description}（{change.count * times} {props.get('unit') or '次'}）"
    payer_rows = [(responsible, kind, amount, description + payers.unclaimed_note(kind))]
    for role, who in _co_payers(props):
        payer = _payer(ctx, props, who, row, lane, responsible)
        share = penalties.also_amount(deadline, role, table)
        if payer is not None and share:
            payer_rows.append((*payers.person_for(ctx, *payer), share * change.count, f"{description}（{role}）"))
    ctx.uow.step_rows.add_violations([{
        "instance_id": ctx.instance.id, "process_id": ctx.instance.process_id, "deadline_id": deadline,
        "element_id": change.element_id, "task_id": row.id if row else None, "responsible": who,
        "responsible_kind": who_kind, "amount": money, "at": ctx.now,
        "description": text} for who, who_kind, money, text in payer_rows])
    more = {"count": change.count} if change.count > 1 else {}
    for who, _kind, money, _text in payer_rows:
        ctx.emit("violation", change.task_id, deadline=deadline, responsible=who, amount=money, **more)


def _times(ctx: StepContext, props: dict[str, Any]) -> int:
    """The ``per`` property: a variable counting the facts charged (items missing from a record,
    第五条 ¥30 a missing item); 1 without it."""
    name = props.get("per")
    if not name:
        return 1
    value = ctx.run.data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _named(ctx: StepContext, props: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """The ``responsible`` property naming a person: ``holder``, ``done_by:TASK`` (who did that
    step: the record the daily audit finds incomplete), ``var:NAME`` (the person a variable names:
    the first receiver)."""
    how = props.get("responsible") or ""
    if how == "holder":
        return _holder(ctx, props, lane=False)
    if how.startswith("done_by:"):
        return payers.done_by(ctx, how.split(":", 1)[1])
    if how.startswith("var:"):
        return (*payers.variable_person(ctx, how.split(":", 1)[1]), None)
    return None


def _fallback(ctx: StepContext, el: dict[str, Any], props: dict[str, Any], guarded: str | None, row: Any,
              change: Change) -> tuple[str, str, str | None]:
    named = props.get("responsible") or ""
    plain = {**props, "responsible": None} if named == "holder" or ":" in named else props
    who, kind = _responsible(ctx, el, plain, guarded, row, change)
    lane = (row.lane if row is not None else None) or ctx.elements.get(guarded or "", {}).get("lane") or el.get("lane")
    return who, kind, (who if kind == "group" else lane)


def _co_payers(props: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = [p.split("=", 1) for p in (props.get("co_payers") or "").split(",") if "=" in p]
    return [(role.strip(), who.strip()) for role, who in pairs]


def _payer(ctx: StepContext, props: dict[str, Any], who: str, row: Any, lane: str | None,
           responsible: str) -> tuple[str, str] | None:
    """A co-payer: WHO is ``assignee`` (the guarded task's holder), ``holder``, ``holder_lane``,
    ``head`` / ``supervisor`` (of the responsible's department, as the admin pages set them), a
    group id; ``a/b`` takes the first of them found."""
    for one in who.split("/"):
        found = _one_payer(ctx, props, one.strip(), row, lane, responsible)
        if found is not None:
            return found
    return None


def _one_payer(ctx: StepContext, props: dict[str, Any], who: str, row: Any, lane: str | None,
               responsible: str) -> tuple[str, str] | None:
    if who == "assignee":
        if row is None:
            return None
        return (row.assignee, "user") if row.assignee else (row.lane or "unknown", "group")
    if who in ("holder", "holder_lane"):
        held = _holder(ctx, props, lane=who == "holder_lane")
        return held[:2] if held else None
    if who in ("head", "supervisor"):
        return payers.lead_of(ctx, lane, responsible, who)
    return who, "group"


def _holder(ctx: StepContext, props: dict[str, Any], *, lane: bool) -> tuple[str, str, str | None] | None:
    """Who holds the case: the newest open user task outside the ``holder_not`` list."""
    skip = tuple(n.strip().rstrip("*") for n in (props.get("holder_not") or "").split(",") if n.strip())
    rows = [r for r in ctx.open_rows.values()
            if not r.name.startswith(("alert_", *skip)) and ctx.elements.get(r.name, {}).get("type") == "userTask"]
    if not rows:
        return None
    held = max(rows, key=lambda r: r.created_at)
    if held.assignee and not lane:
        return held.assignee, "user", held.lane
    return held.lane or "unknown", "group", held.lane


def _responsible(ctx: StepContext, el: dict[str, Any], props: dict[str, Any], guarded: str | None, row: Any,
                 change: Change) -> tuple[str, str]:
    if row is not None and row.assignee:
        return row.assignee, "user"
    person = ctx.actor not in (TIMER, SYSTEM)
    if row is None and not props.get("responsible") and ctx.elements.get(guarded or "", {}).get("type") == "userTask":
        holder = late_holder(ctx, ctx.run.timer_due(change.task_id)) if person else None
        if holder:
            return holder, "user"
    elif guarded is None and not props.get("responsible") and person:
        return ctx.actor.name, "user"
    lane = (props.get("responsible") or (row.lane if row else None)
            or ctx.elements.get(guarded or "", {}).get("lane") or el.get("lane"))
    return lane or "unknown", "group"


def late_holder(ctx: StepContext, due: datetime | None) -> str | None:
    """Who held the work when a deadline passed that was already past as a person's action reached
    its timer: the task this step completed, if it was open by then; else, going back, the task
    whose completion opened it (a step completes one user task, and the tasks it opens are created
    at that same instant). None when the chain leaves the recorded tasks (e.g. a timer opened it)."""
    acted = ctx.acted_row
    if acted is None or due is None:
        return None
    created, by = acted.created_at, ctx.actor.name
    completed_at: dict[datetime | None, tuple[str | None, datetime]] | None = None
    while created > due:
        if completed_at is None:
            completed_at = {at: (who, made) for at, who, made in ctx.uow.step_rows.completed_tasks(ctx.instance.id)}
        previous = completed_at.get(created)
        if previous is None or not previous[0]:
            return None
        by, created = previous[0], previous[1]
    return by
