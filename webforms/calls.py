"""How a view calls the engine: one use case in one unit of work, as the signed-in actor, on the
app's clock. ``read`` never commits; ``act`` commits once (a step that moves a timer earlier wakes
the timer loop through the unit of work's own commit signal, not from here)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user

from engine.clock import Clock
from engine.errors import Conflict
from engine.rules.permissions import Actor
from storage.uow import ConcurrentUpdate, Database


@dataclass
class Wuye:
    """What the app holds: the database and the clock every use case is given."""
    db: Database
    clock: Clock


def init_app(app: Flask, db: Database, clock: Clock) -> None:
    app.extensions["wuye"] = Wuye(db, clock)


def wuye() -> Wuye:
    return current_app.extensions["wuye"]


def current_actor() -> Actor:
    """The bearer token's actor on API calls that carry one, else the session's user."""
    actor = g.get("token_actor")
    return actor if actor is not None else current_user.actor


def read(use_case: Callable[..., Any], *, actor: Actor | None = None, **kwargs) -> Any:
    w = wuye()
    with w.db.uow(readonly=True) as uow:
        return use_case(uow, actor=actor or current_actor(), clock=w.clock, **kwargs)


def act(use_case: Callable[..., Any], *, actor: Actor | None = None, **kwargs) -> Any:
    w = wuye()
    try:
        with w.db.uow() as uow:
            result = use_case(uow, actor=actor or current_actor(), clock=w.clock, **kwargs)
            uow.commit()
    except ConcurrentUpdate:
        raise Conflict("别人刚刚修改了同一个流程实例，请刷新后重试 (someone else changed it first; reload and retry)") from None
    return result


def in_uow(work: Callable[..., Any], *, commit: bool) -> Any:
    """For the sign-in use cases, which take no actor: ``work(uow, clock)``."""
    w = wuye()
    with w.db.uow(readonly=not commit) as uow:
        result = work(uow, w.clock)
        if commit:
            uow.commit()
    return result
