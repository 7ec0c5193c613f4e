"""Signing in: a password check that leaves a `login` event in the audit log, and the bearer tokens
of the JSON API (only the sha-256 of a token is stored, so a copy of the database cannot be used to
call the API)."""
from __future__ import annotations

import hashlib
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.clock import Clock, to_iso
from engine.environment import positive_int
from engine.errors import NotPermitted, WuyeError
from engine.rules.permissions import Actor
from engine.usecases.runner import handle, reads, transactions, writes
from engine.usecases.users import PasswordRecord, check_password, password_record
from storage.models import ApiToken
from storage.uow import Database, UnitOfWork

TOKEN_LIFETIME = timedelta(hours=12)     # one working shift and a bit; then log in again


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoginLimits:
    """The sign-in rate limit: at most ``per_user`` attempts for one user name from one address,
    and ``per_address`` attempts under any names from one address, within ``window``; a right
    password clears its name's count. Attempts are counted as they begin (before the hash), so
    parallel guesses cannot all slip past the check."""
    per_user: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=5)

    def keys(self, name: str, address: str) -> tuple[str, str]:
        """(the name and address's key, the address's key): digests, one fixed size whatever is sent."""
        def key(*parts: str) -> str:
            return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
        return key("user", name.strip().lower(), address), key("address", address)


# How many sign-ins one server process checks at a time (each hash is ~0.2 s of a core); the others
# wait for their turn, holding nothing, up to LOGIN_QUEUE_SECONDS, then are told to try again.
LOGIN_CONCURRENCY = positive_int("WUYE_LOGIN_CONCURRENCY", 2)
LOGIN_QUEUE_SECONDS = positive_int("WUYE_LOGIN_QUEUE_SECONDS", 10)
_checking = threading.BoundedSemaphore(LOGIN_CONCURRENCY)


class TooManyLogins(WuyeError):
    """Refused before the password was checked: too many attempts within the window."""
    exit_code = 3
    http_status = 429

    def __init__(self, retry_after: int, busy: bool = False):
        super().__init__(f"同时登录的人太多，请 {retry_after} 秒后再试 (too many sign-ins at once; try again in "
                         f"{retry_after} s)" if busy else
                         f"登录失败次数过多，请 {(retry_after + 59) // 60} 分钟后再试 "
                         f"(too many failed logins; try again in {retry_after} s)")
        self.retry_after = retry_after


@transactions
def log_in(db: Database, *, clock: Clock, name: str, password: str, via: str, address: str | None = None,
           limits: LoginLimits = LoginLimits()) -> Actor | None:
    """The actor when the password is right (and a `login` event is appended), else None;
    TooManyLogins, with the password unchecked, past the limit.

    Short transactions and none around the hash: a read (is the limit reached? the stored hash), the
    attempt counted (on SQLite a writer holds the whole database, and a hash inside it made every
    other write queue behind each guess), the password checked with nothing open, and only a right
    one writes again: the count cleared and the login event. At most LOGIN_CONCURRENCY sign-ins of
    this process are checked at a time: a hundred at once would each hold the database a little
    longer while the others' hashes take the CPU."""
    if not _checking.acquire(timeout=LOGIN_QUEUE_SECONDS):
        raise TooManyLogins(LOGIN_QUEUE_SECONDS, busy=True)
    try:
        return _log_in(db, clock=clock, name=name, password=password, via=via, address=address, limits=limits)
    finally:
        _checking.release()


def counted_attempt(db: Database, *, name: str, address: str, clock: Clock,
                    limits: LoginLimits) -> tuple[PasswordRecord, tuple[str, str]]:
    """A password check of ``name`` from ``address`` about to be made, counted under the sign-in
    limit first (TooManyLogins, nothing checked, past it): the stored hash to check against and
    the (name and address, address) keys a right password forgives. Two short transactions and no
    hash: a read, then the count."""
    now = clock.now()
    user_key, address_key = limits.keys(name, address)
    keys = [(user_key, limits.per_user), (address_key, limits.per_address)]
    # most of an attack is refused by the plain read
    until, record = handle(db, _blocked_and_record, actor=None, clock=clock, name=name, keys=keys, limits=limits)
    if until is None:
        until = handle(db, _count_attempt, actor=None, clock=clock, keys=keys, limits=limits)
    if until is not None:
        raise TooManyLogins(max(1, math.ceil((until - now).total_seconds())))
    return record, (user_key, address_key)


def _log_in(db: Database, *, clock: Clock, name: str, password: str, via: str, address: str | None,
            limits: LoginLimits) -> Actor | None:
    address = address or ""
    record, (user_key, address_key) = counted_attempt(db, name=name, address=address, clock=clock, limits=limits)
    actor = check_password(record, password)
    if actor is not None:
        handle(db, _logged_in, actor=actor, clock=clock, keys=(user_key, address_key), via=via, address=address)
    return actor


@reads
def _blocked_and_record(uow: UnitOfWork, *, clock: Clock, name: str, keys: list[tuple[str, int]],
                        limits: LoginLimits) -> tuple[datetime | None, PasswordRecord]:
    return uow.logins.blocked(keys, clock.now(), limits.window), password_record(uow, name=name)


@writes
def _count_attempt(uow: UnitOfWork, *, clock: Clock, keys: list[tuple[str, int]],
                   limits: LoginLimits) -> datetime | None:
    return uow.logins.count(keys, clock.now(), limits.window)


@writes
def _logged_in(uow: UnitOfWork, *, actor: Actor, clock: Clock, keys: tuple[str, str], via: str,
               address: str) -> None:
    """A right password: its name's count is cleared and the login is in the audit log."""
    uow.logins.forgive(keys[0], [keys[1]])
    uow.events.append(type="login", actor=actor.name, at=clock.now(), data={"via": via, "address": address})


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
def session_generation(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> int:
    """The generation a session begun now carries (its cookie keeps it; the runner compares it with
    the user's on every request, see ``Caller``)."""
    generation = uow.users.session_generation(actor.name)
    if generation is None:
        raise NotPermitted(f"没有此用户或已停用 (no such active user): {actor.name}")
    return generation


@writes
def log_out(uow: UnitOfWork, *, actor: Actor, clock: Clock, via: str) -> dict[str, str]:
    """Signing out ends every session and API token of the user at once, on every server process:
    a copied cookie or a token left in a script is refused from the next request on."""
    user = uow.users.get(actor.name)
    if user is None:
        raise NotPermitted(f"没有此用户 (no such user): {actor.name}")
    uow.users.end_sessions(user)
    uow.events.append(type="logout", actor=actor.name, at=clock.now(), data={"via": via})
    return {"logged_out": actor.name}


@reads
def whoami(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> Actor:
    """The signed-in person with their groups as they are now: the runner resolves the name given
    as the actor in this read, so a deleted or deactivated user is refused (UnknownActor)."""
    return actor
