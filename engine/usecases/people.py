"""People, not user names (issue 11): the real name every page shows beside a user name
(王丽（dispatcher）), and the administrator's user list — add, change name/phone/groups, disable,
enable, reset a password — in the browser. Each change is an event; a password reset or a
disabling ends every session and token of that user (engine/usecases/users.py)."""
from __future__ import annotations

import re
from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, FieldError, NotPermitted
from engine.rules.groups import GROUPS
from engine.rules.permissions import SYSTEM, Actor
from engine.usecases.runner import reads, writes
from engine.usecases.users import _existing
from storage.uow import UnitOfWork

PHONE = re.compile(r"[0-9+\- ]{5,20}")


def may_admin(actor: Actor) -> None:
    if actor is not SYSTEM and "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 不是系统管理员，不能管理用户 (admins only)")


@reads
def people_names(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, str]:
    """user name -> real name, for any signed-in person's pages."""
    return uow.users.display_names()


@reads
def list_users(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    may_admin(actor)
    return {"users": [{"name": u.name, "display_name": u.display_name or u.name, "phone": u.phone, "active": u.active,
                       "groups": sorted(u.group_ids)} for u in uow.users.all()],
            "groups": GROUPS}


def read_person(display_name: str, phone: str, groups: list[str]) -> dict[str, FieldError]:
    """The problems of a user's name, phone and groups, by field."""
    errors: dict[str, FieldError] = {}
    if not (display_name or "").strip() or len(display_name.strip()) > 50:
        errors["display_name"] = {"key": "user.display_name", "message": "请填写姓名（最多 50 个字）"}
    if phone and not PHONE.fullmatch(phone):
        errors["phone"] = {"key": "user.phone", "message": "电话号码只能包含数字，如 13800000000"}
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        errors["groups"] = {"key": "user.groups", "message": "请至少选择一个用户组" if not groups
                            else f"未知的用户组：{'、'.join(unknown)}"}
    return errors


@writes
def update_user(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, display_name: str, phone: str,
                groups: list[str], active: bool) -> dict[str, Any]:
    """A user's real name, phone, groups and whether they may sign in; disabling ends their sessions."""
    may_admin(actor)
    user = _existing(uow, name)
    errors = read_person(display_name, phone, groups)
    if errors:
        raise BadInput(f"有 {len(errors)} 处需要修改 ({', '.join(errors)})", fields=errors)
    if user.name == actor.name and (not active or "admin" not in groups):
        raise BadInput("不能停用自己或取消自己的管理员权限 (you cannot lock yourself out)",
                       fields={"groups": {"key": "user.self", "message": "不能停用自己或取消自己的管理员权限"}})
    before = {"display_name": user.display_name, "phone": user.phone, "groups": sorted(user.group_ids),
              "active": user.active}
    user.display_name, user.phone = display_name.strip(), phone.strip()
    user.groups = [group for g in dict.fromkeys(groups) if (group := uow.users.group(g)) is not None]
    if user.active and not active:
        uow.users.end_sessions(user)
    user.active = active
    after = {"display_name": user.display_name, "phone": user.phone, "groups": sorted(groups), "active": active}
    uow.events.append(type="user_changed", actor=actor.name, at=clock.now(),
                      data={"name": name, "before": before, "after": after})
    return {"name": name, **after}
