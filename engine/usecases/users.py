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
from engine.usecases.runner import handle, transactions, writes
from storage.models import User
from storage.uow import Database, UnitOfWork

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")


def ensure_groups(uow: UnitOfWork) -> None:
    for gid, name in GROUPS.items():
        uow.users.ensure_group(gid, name)


@transactions
def add_user(db: Database, *, actor: Actor, clock: Clock, name: str, groups: list[str], password: str | None,
             display_name: str = "", phone: str = "") -> dict[str, Any]:
    """Returns the user; ``password`` is included only when it was generated here. The password is
    hashed with no transaction open (scrypt takes a fifth of a second of CPU, and a write
    transaction held that long stalls every other writer on SQLite): the checks that need no
    database first, then the hash, then one short write."""
    generated = password is None
    password = secrets.token_urlsafe(12) if password is None else password
    _check_new_user(name, password, phone)
    out: dict[str, Any] = handle(db, _add_user, actor=actor, clock=clock, name=name, groups=groups,
                                 password_hash=generate_password_hash(password), display_name=display_name,
                                 phone=phone)
    if generated:
        out["password"] = password
    return out


def _check_new_user(name: str, password: str, phone: str) -> None:
    if not _USERNAME.match(name or ""):
        raise BadInput(f"用户名无效 (user name must be 2-64 letters, digits, _ . -): {name!r}",
                       fields={"name": {"key": "user.name"}})
    _check_password(password)
    if phone and not re.fullmatch(r"[0-9+\- ]{5,20}", phone):
        raise BadInput(f"电话号码只能包含数字 (phone: digits only): {phone!r}",
                       fields={"phone": {"key": "user.phone", "message": "电话号码只能包含数字"}})


def _check_password(password: str | None) -> None:
    if not password or len(password) < 4:
        raise BadInput("密码至少 4 个字符 (password too short)", fields={"password": {"key": "user.password"}})


@writes
def _add_user(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, groups: list[str], password_hash: str,
              display_name: str, phone: str) -> dict[str, Any]:
    new_user(uow, actor=actor, clock=clock, name=name, groups=groups, password_hash=password_hash,
             display_name=display_name, phone=phone)
    return {"name": name, "groups": sorted(groups)}


def new_user(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, groups: list[str], password_hash: str,
             display_name: str = "", phone: str = "") -> User:
    """The user row and its ``user_added`` event, in the caller's transaction (the password already
    hashed); refused when the name is taken or a group is unknown."""
    if uow.users.get(name) is not None:
        raise Conflict(f"用户已存在 (user {name} exists)")
    unknown = [g for g in groups if uow.users.group(g) is None]
    if unknown:
        raise BadInput(f"未知的用户组 (unknown groups): {', '.join(unknown)}; known: {', '.join(sorted(GROUPS))}",
                       fields={"groups": {"key": "user.groups"}})
    user = uow.users.add(User(name=name, display_name=(display_name or "").strip() or name, phone=phone,
                              password_hash=password_hash, active=True, created_at=clock.now()))
    user.groups = [group for g in dict.fromkeys(groups) if (group := uow.users.group(g)) is not None]
    uow.events.append(type="user_added", actor=actor.name, at=clock.now(), data={"name": name, "groups": groups})
    return user


def _may_manage(actor: Actor, name: str) -> None:
    """The user themself (a password), an admin, or the command line's system actor."""
    if actor.name not in (name, SYSTEM.name) and "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 不能修改用户 {name} (only admins change other users)")


def _existing(uow: UnitOfWork, name: str) -> User:
    user = uow.users.get(name or "")
    if user is None:
        raise NotFound(f"没有此用户 (no such user): {name}")
    return user


@transactions
def change_password(db: Database, *, actor: Actor, clock: Clock, name: str, password: str | None) -> dict[str, Any]:
    """A new password set by an admin (or the command line); every session and API token of the
    user ends (whoever knew the old one is out). Hashed with no transaction open, as in add_user."""
    _may_manage(actor, name)
    _check_password(password)
    assert password is not None
    result: dict[str, Any] = handle(db, _set_password, actor=actor, clock=clock, name=name,
                                    password_hash=generate_password_hash(password))
    return result


@writes
def _set_password(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, password_hash: str) -> dict[str, Any]:
    _may_manage(actor, name)
    user = _existing(uow, name)
    uow.users.set_password(user, password_hash)
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

