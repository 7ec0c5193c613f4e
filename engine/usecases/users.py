"""Users and groups: create, authenticate, and the setup of a fresh database."""
from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, Conflict, NotFound, NotPermitted
from engine.rules.groups import GROUPS
from engine.rules.passwords import check_password_hash, generate_password_hash
from engine.rules.permissions import SYSTEM, Actor
from engine.usecases.runner import writes
from storage.models import User
from storage.uow import UnitOfWork

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")


def ensure_groups(uow: UnitOfWork) -> None:
    for gid, name in GROUPS.items():
        uow.users.ensure_group(gid, name)


@writes
def add_user(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, groups: list[str],
             password: str | None, display_name: str = "", phone: str = "") -> dict[str, Any]:
    """Returns the user; ``password`` is included only when it was generated here."""
    if not _USERNAME.match(name or ""):
        raise BadInput(f"用户名无效 (user name must be 2-64 letters, digits, _ . -): {name!r}",
                       fields={"name": {"key": "user.name"}})
    if uow.users.get(name) is not None:
        raise Conflict(f"用户已存在 (user {name} exists)")
    unknown = [g for g in groups if uow.users.group(g) is None]
    if unknown:
        raise BadInput(f"未知的用户组 (unknown groups): {', '.join(unknown)}; known: {', '.join(sorted(GROUPS))}",
                       fields={"groups": {"key": "user.groups"}})
    generated = password is None
    if password is None:
        password = secrets.token_urlsafe(12)
    if len(password) < 4:
        raise BadInput("密码至少 4 个字符 (password too short)", fields={"password": {"key": "user.password"}})
    if phone and not re.fullmatch(r"[0-9+\- ]{5,20}", phone):
        raise BadInput(f"电话号码只能包含数字 (phone: digits only): {phone!r}",
                       fields={"phone": {"key": "user.phone", "message": "电话号码只能包含数字"}})
    user = uow.users.add(User(name=name, display_name=(display_name or "").strip() or name, phone=phone,
                              password_hash=generate_password_hash(password), active=True, created_at=clock.now()))
    user.groups = [group for g in dict.fromkeys(groups) if (group := uow.users.group(g)) is not None]
    uow.events.append(type="user_added", actor=actor.name, at=clock.now(), data={"name": name, "groups": groups})
    out: dict[str, Any] = {"name": name, "groups": sorted(groups)}
    if generated:
        out["password"] = password
    return out


def _may_manage(actor: Actor, name: str) -> None:
    """The user themself (a password), an admin, or the command line's system actor."""
    if actor.name not in (name, SYSTEM.name) and "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 不能修改用户 {name} (only admins change other users)")


def _existing(uow: UnitOfWork, name: str) -> User:
    user = uow.users.get(name or "")
    if user is None:
        raise NotFound(f"没有此用户 (no such user): {name}")
    return user


@writes
def change_password(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, password: str | None) -> dict[str, Any]:
    """A new password; every session and API token of the user ends (whoever knew the old one is out)."""
    _may_manage(actor, name)
    user = _existing(uow, name)
    if not password or len(password) < 4:
        raise BadInput("密码至少 4 个字符 (password too short)", fields={"password": {"key": "user.password"}})
    uow.users.set_password(user, generate_password_hash(password))
    uow.users.end_sessions(user)
    uow.events.append(type="password_changed", actor=actor.name, at=clock.now(), data={"name": name})
    return {"name": name, "sessions_ended": True}


@writes
def disable_user(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str) -> dict[str, Any]:
    """The user may no longer sign in; every session and API token of theirs ends now."""
    if actor.name != SYSTEM.name and "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 不能停用用户 (only admins disable users)")
    user = _existing(uow, name)
    uow.users.disable(user)
    uow.users.end_sessions(user)
    uow.events.append(type="user_disabled", actor=actor.name, at=clock.now(), data={"name": name})
    return {"name": name, "active": False, "sessions_ended": True}


@functools.cache
def _no_user_hash() -> str:
    """A hash to check a password against when there is no such user."""
    return generate_password_hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class PasswordRecord:
    """What checking a password needs, read in a short read of its own: the stored hash (a stand-in
    when there is no such user) and the actor a right password signs in as (None: nobody can)."""
    stored_hash: str
    actor: Actor | None


def password_record(uow: UnitOfWork, *, name: str) -> PasswordRecord:
    user = uow.users.get(name or "")
    if user is None:
        return PasswordRecord(_no_user_hash(), None)
    return PasswordRecord(user.password_hash, Actor(user.name, frozenset(user.group_ids)) if user.active else None)


def check_password(record: PasswordRecord, password: str) -> Actor | None:
    """The password is hashed whether or not the user exists: an unknown name answering in a
    millisecond and a known one in a hundred would tell an outsider which staff names are real.
    Call it with no transaction open: the hash takes a fifth of a second of CPU."""
    if not check_password_hash(record.stored_hash, password or ""):
        return None
    return record.actor

