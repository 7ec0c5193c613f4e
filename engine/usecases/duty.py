"""Who answers for a group (M1 第十七条, issue 15): each group's head (负责人) and supervisor (主管),
and the duty roster by shift (当班人员). A breach on an unclaimed group task is charged to the person
on duty then, else to the head (engine/step/payers.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import Clock, parse_instant, to_iso
from engine.errors import BadInput, FieldError, NotFound
from engine.rules.groups import GROUPS
from engine.rules.permissions import SYSTEM, Actor, may_see_all_tasks, may_set_duty
from engine.usecases.runner import reads, writes
from storage.uow import UnitOfWork

MAX_SHIFT_HOURS = 24 * 7     # a shift longer than a week is a typing mistake, not a shift


@reads
def duty_table(uow: UnitOfWork, *, actor: Actor, clock: Clock, since: str | None = None) -> dict[str, Any]:
    """Every group with its head and supervisor, and the shifts not yet over (from ``since``, else now)."""
    if actor is not SYSTEM and not (actor.groups & {"admin", "cs_manager"}):
        may_see_all_tasks(actor)            # supervisors and auditors read it too
    start = _instant(since, "since") if since else clock.now()
    leads = uow.duty.leads()
    groups = [{"id": gid, "name": name, "head": getattr(leads.get(gid), "head", None),
               "supervisor": getattr(leads.get(gid), "supervisor", None)}
              for gid, name in GROUPS.items() if gid != "worker"]
    shifts = [{"id": s.id, "group": s.group_id, "user": s.user_name, "starts_at": to_iso(s.starts_at),
               "ends_at": to_iso(s.ends_at)} for s in uow.duty.shifts(since=start)]
    return {"groups": groups, "shifts": shifts}


@writes
def set_group_lead(uow: UnitOfWork, *, actor: Actor, clock: Clock, group: str, head: str | None,
                   supervisor: str | None) -> dict[str, Any]:
    may_set_duty(actor)
    _group(group)
    errors: dict[str, FieldError] = {}
    for key, name in (("head", head), ("supervisor", supervisor)):
        if name and uow.users.active_groups(name) is None:
            errors[key] = {"key": "duty.user", "message": f"没有此在职员工：{name}", "en": f"no active user {name}"}
    if errors:
        raise BadInput(f"负责人/主管有误 (unknown users): {', '.join(errors)}", fields=errors)
    uow.duty.set_lead(group, head or None, supervisor or None, actor.name, clock.now())
    uow.events.append(type="group_lead_set", actor=actor.name, at=clock.now(),
                      data={"group": group, "head": head or None, "supervisor": supervisor or None})
    return {"group": group, "head": head or None, "supervisor": supervisor or None}


@writes
def add_duty_shift(uow: UnitOfWork, *, actor: Actor, clock: Clock, group: str, user: str, starts_at: str,
                   ends_at: str) -> dict[str, Any]:
    may_set_duty(actor)
    _group(group)
    errors: dict[str, FieldError] = {}
    groups = uow.users.active_groups(user or "")
    if groups is None:
        errors["user"] = {"key": "duty.user", "message": f"没有此在职员工：{user}", "en": f"no active user {user}"}
    elif group not in groups:
        errors["user"] = {"key": "duty.member", "message": f"{user} 不是{GROUPS[group]}的成员",
                          "en": f"{user} is not a member of {group}"}
    starts = ends = None
    try:
        starts = _instant(starts_at, "starts_at")
    except BadInput as e:
        errors.update(e.fields or {})
    try:
        ends = _instant(ends_at, "ends_at")
    except BadInput as e:
        errors.update(e.fields or {})
    if starts and ends and not starts < ends:
        errors["ends_at"] = {"key": "duty.order", "message": "下班时间须晚于上班时间",
                             "en": "the shift must end after it starts"}
    elif starts and ends and (ends - starts).total_seconds() > MAX_SHIFT_HOURS * 3600:
        errors["ends_at"] = {"key": "duty.long", "message": "一个班次不能超过7天", "en": "a shift is at most 7 days"}
    if errors or starts is None or ends is None:
        raise BadInput(f"当班表有误 (invalid shift): {', '.join(errors)}", fields=errors)
    row = uow.duty.add_shift(group, user, starts, ends, actor.name)
    out = {"id": row.id, "group": group, "user": user, "starts_at": to_iso(starts), "ends_at": to_iso(ends)}
    uow.events.append(type="duty_shift_added", actor=actor.name, at=clock.now(), data=out)
    return out


@writes
def remove_duty_shift(uow: UnitOfWork, *, actor: Actor, clock: Clock, shift_id: int) -> dict[str, Any]:
    may_set_duty(actor)
    if not uow.duty.remove_shift(shift_id):
        raise NotFound(f"没有此班次 (no shift {shift_id})")
    uow.events.append(type="duty_shift_removed", actor=actor.name, at=clock.now(), data={"id": shift_id})
    return {"removed": shift_id}


def _group(group: str) -> None:
    if group not in GROUPS or group == "worker":
        raise BadInput(f"未知的用户组 (unknown group): {group}",
                       fields={"group": {"key": "duty.group", "message": "请选择用户组", "en": "choose a group"}})


def _instant(text: str | None, name: str) -> datetime:
    try:
        return parse_instant((text or "").strip())
    except (ValueError, TypeError):
        raise BadInput(f"时间无效 (invalid time): {name}",
                       fields={name: {"key": "duty.time", "message": "请输入有效的时间（如 2026-11-20T08:00）",
                                      "en": "enter a valid time"}}) from None
