"""Who pays, as a person (M1 第十七条: 扣罚从责任人当月奖金中执行): a deadline whose responsible is
a group (an unclaimed group task) goes to the person on duty for it then, else to the group's head,
and is marked as unclaimed (``responsible_kind`` ``duty`` / ``head``); the co-payers 责任主管 and
责任部门负责人 are the supervisor and head the admin pages set for the responsible's group."""
from __future__ import annotations

from engine.step.context import StepContext

UNCLAIMED = "（未认领，由{}承担）"
PERSON_KINDS = ("user", "duty", "head")     # a violation charged to a person, not a group


def person_for(ctx: StepContext, who: str, kind: str) -> tuple[str, str]:
    """A group's charge becomes its person on duty, else its head; a person's stays theirs."""
    if kind != "group":
        return who, kind
    duty = ctx.uow.duty.on_duty(who, ctx.now)
    if duty:
        return duty, "duty"
    lead = ctx.uow.duty.lead(who)
    if lead is not None and lead.head:
        return lead.head, "head"
    return who, kind


def unclaimed_note(kind: str) -> str:
    return UNCLAIMED.format("当班人员" if kind == "duty" else "部门负责人") if kind in ("duty", "head") else ""


def lead_of(ctx: StepContext, group: str | None, person: str | None, role: str) -> tuple[str, str] | None:
    """The ``role`` (``head`` or ``supervisor``) of ``group``, else of the first of ``person``'s
    groups that has one set; None when none is set."""
    groups = [group] if group else []
    if person:
        groups += [g for g in ctx.uow.duty.groups_of(person) if g != group]
    for g in groups:
        lead = ctx.uow.duty.lead(g)
        name = getattr(lead, role, None) if lead is not None else None
        if name:
            return name, "user"
    return None


def variable_person(ctx: StepContext, name: str) -> tuple[str, str]:
    """The person a process variable names (the first receiver of a complaint, 第十二条), else who
    started the instance (who recorded it)."""
    value = ctx.run.data.get(name)
    return (str(value), "user") if value else (ctx.instance.started_by, "user")


def done_by(ctx: StepContext, task_name: str) -> tuple[str, str, str | None] | None:
    """Who completed ``task_name`` (its latest completion), with its lane."""
    found = ctx.uow.duty.completed_by(ctx.instance.id, task_name)
    if not found or not found[0]:
        return None
    return found[0], "user", found[1]
