"""How a view calls the engine: one use case through the runner (``engine.usecases.runner.handle``),
as the person asking, on the app's clock. The runner opens the unit of work, resolves the user,
commits once (a step that moves a timer earlier wakes the timer loop through the unit of work's
own commit signal, not from here) and maps conflicts.

Who is asking costs no transaction of its own: the session carries only the user's name, which the
runner resolves inside the call's unit of work (a user deactivated since sign-in is refused there,
and webforms.errors signs the session out); a bearer token's actor is resolved once per request.

- ``show`` is a page's read: what the page shows, who asked and the navigation's counts, in one
  read; the actor and the counts are kept for the rest of the request (``current_actor``, the
  templates' navigation).
- ``read`` / ``act`` run a reading / writing use case as the person asking (the JSON API, actions).
- ``call`` runs one as nobody in particular, or as an actor given explicitly (signing in)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user

from engine.clock import Clock
from engine.rules.permissions import Actor
from engine.usecases.browse import Page, page
from engine.usecases.init import is_simulation
from engine.usecases.runner import Caller, Database, handle
from engine.usecases.sessions import whoami


@dataclass
class Wuye:
    """What the app holds: the database and the clock every use case is given."""
    db: Database
    clock: Clock
    simulation: bool | None = None       # read once: a database is made a simulation at its creation only


def init_app(app: Flask, db: Database, clock: Clock) -> None:
    app.extensions["wuye"] = Wuye(db, clock)


def wuye() -> Wuye:
    return current_app.extensions["wuye"]


def simulation() -> bool:
    """Whether this is a simulation database (`wuye init --simulation`): every page says so."""
    w = wuye()
    if w.simulation is None:
        w.simulation = bool(handle(w.db, is_simulation, actor=None, clock=w.clock))
    return w.simulation


def asking() -> Actor | Caller | None:
    """The actor already resolved in this request (a bearer token's, or a page read's), else the
    signed-in session (its user's name and generation) for the runner to resolve and check."""
    actor = g.get("actor")
    return actor if actor is not None else getattr(current_user, "caller", None)


def call(use_case: Callable[..., Any], *, actor: Actor | str | Caller | None = None, **args: Any) -> Any:
    w = wuye()
    return handle(w.db, use_case, actor=actor, clock=w.clock, **args)


def read(use_case: Callable[..., Any], **args: Any) -> Any:
    return call(use_case, actor=asking(), **args)


act = read     # the runner commits a @writes use case and never a @reads one: the same call


def show(use_case: Callable[..., Any], **args: Any) -> Any:
    shown: Page = call(page, actor=asking(), show=use_case, **args)
    g.actor, g.nav_counts, g.calendar_check = shown.actor, shown.counts, shown.calendar
    g.people_names = shown.names
    return shown.shown


def current_actor() -> Actor:
    """The person asking, with their groups (one read if nothing in this request resolved them yet)."""
    if g.get("actor") is None:
        show(whoami)
    return g.actor


def calendar_warning() -> dict[str, Any] | None:
    """The 60-day calendar check read with the page (None for those it does not concern)."""
    if g.get("actor") is None:
        show(whoami)
    return g.get("calendar_check")


def navigation_counts() -> dict[str, int]:
    """The inbox counts the navigation shows: those read with the page, else one read for them."""
    if g.get("nav_counts") is None:
        show(whoami)
    return g.nav_counts
