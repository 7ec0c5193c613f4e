"""The staff web app: login, the task inbox, task and start forms, the instance view and the JSON API.

``create_app(config)`` builds everything; nothing is wired at import time. Views are thin: they
parse the request, call one engine use case through :mod:`webforms.calls`, and render or redirect.
Engine errors become flash pages or JSON errors in exactly one place, :mod:`webforms.errors`."""
from __future__ import annotations

import importlib
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from engine.clock import SystemClock
from engine.usecases.runner import connect

_DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,          # valid for the whole session: a form may stay open all shift
    "JSON_AS_ASCII": False,
    "LOGIN_MAX_FAILURES": 5,             # attempts per user name and address ...
    "LOGIN_MAX_ADDRESS_FAILURES": 20,    # ... and per address under any names ...
    "LOGIN_FAILURE_WINDOW": 300,         # ... within this many seconds, then 429 (counted in the database)
    "INBOX_REFRESH_SECONDS": 20,
    "INBOX_PAGE_SIZE": 50,               # tasks per inbox page (1..500); "更多" shows the next ones
    # A request body is read into memory whole (JSON, forms): without a cap, one anonymous
    # POST /api/login or /login of a few GB fills the server's memory. 2 MiB is ten times the
    # largest diagram in processes/; a larger body gets 413.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Config keys (besides Flask's): INSTANCE_PATH (default ./instance); DATABASE (a Database from
    engine.usecases.runner.connect) or DATABASE_URL (else WUYE_DATABASE_URL, else the SQLite file
    under instance/); CLOCK (default SystemClock; tests pass a FixedClock); SECRET_KEY (else
    SECRET_KEY / WUYE_SECRET_KEY from the environment, else a key generated once and kept in
    instance/secret_key); SESSION_COOKIE_SECURE behind HTTPS; TRUSTED_PROXIES (or
    WUYE_TRUSTED_PROXIES): how many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0:
    trust none)."""
    config = dict(config or {})
    app = Flask(__name__, instance_relative_config=True, instance_path=config.get("INSTANCE_PATH"))
    from webforms.uploads import WuyeRequest
    app.request_class = WuyeRequest          # an attachment's upload may be larger than other bodies
    app.config.update(_DEFAULTS)
    app.config.update(config)
    app.config["SECRET_KEY"] = (app.config.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
                                or os.environ.get("WUYE_SECRET_KEY") or _stored_secret(Path(app.instance_path)))
    database = app.config.get("DATABASE") or connect(app.config.get("DATABASE_URL"))
    clock = app.config.get("CLOCK") or SystemClock()

    app.url_map.converters["int"] = RowId
    from webforms import (
        account,
        api,
        api_audit,
        api_definitions,
        api_desk,
        api_rules,
        auth,
        board,
        calendar,
        calls,
        desk,
        dmn,
        duty,
        engine_rest,
        errors,
        filters,
        forms,
        inbox,
        instances,
        notices,
        people,
        records,
        register,
        rules,
        security,
    )
    calls.init_app(app, database, clock)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for module in (auth, account, inbox, forms, instances, records, register, api, engine_rest, api_definitions, rules,
                   api_rules, api_audit, dmn, calendar, desk, api_desk, people, duty, notices, board):
        app.register_blueprint(module.bp)
    app.register_blueprint(notices.api)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    _register_optional(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or os.environ.get("WUYE_TRUSTED_PROXIES") or 0)
    if proxies:   # behind nginx: the client's address (rate limit, login events) from X-Forwarded-For
        # Flask's documented way to add WSGI middleware; mypy refuses any assignment to a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


class RowId(IntegerConverter):
    """`<int:...>` in every route: an id no database row can have (past 2**63 - 1) is a 404, not an
    OverflowError from the driver and a 500; only ASCII digits (werkzeug's ``\\d+`` matches an
    Arabic-Indic one, and ``int()`` reads it: /api/instances/%D9%A1 was instance 1)."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, 2**63 - 1 if max is None else max, signed)


OPTIONAL = ("modeler", "history", "reports", "audit")


def _register_optional(app: Flask) -> None:
    """The modeler, history and reports pages are separate pieces of work: each registers itself by
    existing as webforms/<name>.py with a blueprint ``bp`` that has an ``index`` view, and only then
    appears in the navigation (no placeholder pages)."""
    for name in OPTIONAL:
        try:
            module = importlib.import_module(f"webforms.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"webforms.{name}":
                raise
            continue
        app.register_blueprint(module.bp)
    app.config["WUYE_OPTIONAL_ENDPOINTS"] = {f"{n}.index" for n in OPTIONAL} & set(app.view_functions)


def _stored_secret(instance_dir: Path) -> str:
    """A random key made on first start and kept (mode 0600) so sessions survive restarts."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
