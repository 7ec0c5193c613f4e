"""The one way into the use cases: ``handle(db, use_case, actor=..., clock=..., **args)``.

It opens the unit of work, resolves the actor, runs the use case, commits once (never for a reader,
never when the use case raised), and turns a storage conflict into :class:`Conflict`. The CLI, the
web app, the demo loader, the benchmarks and the tests all call use cases through it, so none of
them opens a transaction, resolves a user or imports ``storage`` itself: ``connect`` gives them the
database, and the timer loop hears about commits through ``on_timer_commits`` / ``timer_commits_elsewhere``.

A use case says what kind it is with one of three decorators:

- ``@reads``: runs in a read-only unit of work (never commits);
- ``@writes``: one transaction, committed by the runner when the use case returned;
- ``@transactions``: by nature several transactions (the timer sweep: one per due instance;
  initialize: schema, groups, processes, users). It is given the :class:`Database` itself and
  commits each of its own units of work.

``actor`` is an :class:`Actor` already resolved in this request, a user name (resolved here, inside
the same unit of work, so a request that names its user costs no transaction of its own; an unknown
or inactive user is :class:`UnknownActor`), or ``None`` for the few use cases that take no actor
(signing in, resolving a bearer token, the sweep)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.clock import Clock, instant
from engine.errors import Conflict, NotPermitted
from engine.rules.permissions import Actor
from engine.step.runtime import TIMERS_CHANNEL
from storage.errors import ConcurrentUpdate
from storage.signals import PostgresListener, add_commit_listener, remove_commit_listener
from storage.uow import Database, UnitOfWork

__all__ = ["Caller", "Crashed", "Database", "UnknownActor", "actor_for", "connect", "handle", "on_commits",
           "on_timer_commits", "reads", "timer_commits_elsewhere", "transactions", "writes"]

F = TypeVar("F", bound=Callable[..., Any])
KIND = "__wuye_use_case__"
CONFLICT = "别人刚刚修改了同一个流程实例，请刷新后重试 (someone else changed it first; reload and retry)"


class ChangedFirst(Conflict):
    """Another transaction changed the same rows first (a storage conflict, e.g. the instance's
    version moved under us): the caller may retry or leave the work to whoever did it."""


class Crashed(Exception):
    """Background work (a timer's step, a scheduled start) raised something unexpected: the runner
    rolls its transaction back whole, and the caller records the failure against ``subject`` (the
    instance id, the process id) in a new one, so one failing item never stops the others."""

    def __init__(self, subject: Any, error: Exception):
        self.subject, self.message = subject, f"{type(error).__name__}: {error}"
        super().__init__(self.message)


class UnknownActor(NotPermitted):
    """The user a call is made as does not exist or was deactivated (e.g. since their session
    began): the web signs such a session out; the CLI exits 3 like any refusal."""


@dataclass(frozen=True)
class Caller:
    """A signed-in session as it asks: the user's name and the session generation it was begun in
    (engine.usecases.sessions). Resolved like a name, and refused (UnknownActor) once the user's
    sessions have been ended since: signed out, password changed, disabled."""
    name: str
    generation: int


def reads(fn: F) -> F:
    setattr(fn, KIND, "reads")
    return fn


def writes(fn: F) -> F:
    setattr(fn, KIND, "writes")
    return fn


def transactions(fn: F) -> F:
    setattr(fn, KIND, "transactions")
    return fn


def kind_of(use_case: Callable[..., Any]) -> str:
    kind = getattr(use_case, KIND, None)
    if kind is None:
        raise TypeError(f"{use_case.__qualname__} is not a use case (no @reads/@writes/@transactions)")
    return str(kind)


def connect(url: str | None = None) -> Database:
    """The database the use cases run against: ``url``, else WUYE_DATABASE_URL, else the SQLite file."""
    return Database(url)


def actor_for(uow: UnitOfWork, name: str) -> Actor:
    """The active user called ``name``, with their groups."""
    groups = uow.users.active_groups(name)
    if groups is None:
        raise NotPermitted(f"没有此用户或已停用 (no such active user): {name}")
    return Actor(name, groups)


def _caller(uow: UnitOfWork, who: str | Caller) -> Actor:
    if isinstance(who, Caller):
        groups = uow.users.active_groups(who.name, who.generation)
        if groups is None:
            raise UnknownActor(f"登录已失效，请重新登录 (this session has ended: signed out, password changed or "
                               f"user disabled): {who.name}")
        return Actor(who.name, groups)
    try:
        return actor_for(uow, who)
    except NotPermitted as e:
        raise UnknownActor(e.message) from None


def handle(db: Database, use_case: Callable[..., Any], *, actor: Actor | str | Caller | None, clock: Clock,
           **args: Any) -> Any:
    """Run ``use_case`` as ``actor`` on ``clock`` in the transaction(s) its kind says."""
    kind = kind_of(use_case)
    who = {} if actor is None else {"actor": actor}
    try:
        if kind == "transactions":
            if isinstance(actor, (str, Caller)):
                with db.uow(readonly=True) as uow:
                    who = {"actor": _caller(uow, actor)}
            return use_case(db, clock=clock, **who, **args)
        with db.uow(readonly=kind == "reads") as uow:
            if isinstance(actor, (str, Caller)):
                who = {"actor": _caller(uow, actor)}
            result = use_case(uow, clock=instant(clock), **who, **args)
            if kind == "writes":
                uow.commit()
            return result
    except ConcurrentUpdate:
        raise ChangedFirst(CONFLICT) from None


# -- commit signals for the timer loop ------------------------------------------------------------------

def on_commits(channel: str, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback()`` after every commit in this process that signalled ``channel`` (e.g. the
    external tasks' channel: a step opened one); returns the function that stops that."""
    add_commit_listener(channel, callback)
    return lambda: remove_commit_listener(channel, callback)


def on_timer_commits(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback()`` after every commit in this process that may have armed a timer earlier
    than any before it; returns the function that stops that."""
    add_commit_listener(TIMERS_CHANNEL, callback)
    return lambda: remove_commit_listener(TIMERS_CHANNEL, callback)


def timer_commits_elsewhere(db: Database, callback: Callable[[], None],
                            stopping: threading.Event) -> PostgresListener | None:
    """On PostgreSQL, a started thread that calls ``callback()`` when another process commits such
    a step (LISTEN; also once after every reconnect), until ``stopping`` is set; its ``listening``
    event is set while it listens. None on SQLite, which cannot tell other processes anything."""
    if db.engine.dialect.name != "postgresql":
        return None
    listener = PostgresListener(db.url, TIMERS_CHANNEL, callback, stopping)
    listener.start()
    return listener
