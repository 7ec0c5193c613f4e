"""Signing in: a password check that leaves a `login` event in the audit log, and the bearer tokens
of the JSON API (only the sha-256 of a token is stored, so a copy of the database cannot be used to
call the API)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from engine.clock import Clock, to_iso
from engine.errors import NotPermitted
from engine.rules.permissions import Actor
from engine.usecases.runner import reads, writes
from engine.usecases.users import authenticate
from storage.models import ApiToken
from storage.uow import UnitOfWork

TOKEN_LIFETIME = timedelta(hours=12)     # one working shift and a bit; then log in again


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@writes
def log_in(uow: UnitOfWork, *, clock: Clock, name: str, password: str, via: str,
           address: str | None = None) -> Actor | None:
    """The actor when the password is right (and a `login` event is appended), else None."""
    actor = authenticate(uow, name=name, password=password)
    if actor is not None:
        uow.events.append(type="login", actor=actor.name, at=clock.now(),
                          data={"via": via, "address": address or ""})
    return actor


@writes
def issue_api_token(uow: UnitOfWork, *, clock: Clock, actor: Actor,
                    lifetime: timedelta = TOKEN_LIFETIME) -> dict[str, str]:
    """A new random token for an actor who has just logged in; the token itself is shown only once."""
    user = uow.users.get(actor.name)
    if user is None or not user.active:
        raise NotPermitted(f"没有此用户或已停用 (no such active user): {actor.name}")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    uow.users.add_token(ApiToken(token_hash=_digest(token), user_id=user.id, created_at=now,
                                 expires_at=now + lifetime))
    return {"token": token, "expires_at": to_iso(now + lifetime)}


@reads
def actor_for_token(uow: UnitOfWork, *, clock: Clock, token: str) -> Actor | None:
    """The actor a bearer token stands for; None when it is unknown, expired or its user inactive."""
    if not token or len(token) > 200:
        return None
    found = uow.users.by_token(_digest(token), clock.now())
    return Actor(*found) if found is not None else None


@reads
def whoami(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> Actor:
    """The signed-in person with their groups as they are now: the runner resolves the name given
    as the actor in this read, so a deleted or deactivated user is refused (UnknownActor)."""
    return actor
