"""Fixtures for the browser tests: the real app served over HTTP on 127.0.0.1 (werkzeug's server on a
background thread, a free port) against a real SQLite file made by `initialize(..., demo=True)` —
every process in processes/ deployed, the demo users and the three demo complaints — and Debian's
Chromium driven by pytest-playwright.

Every test's browser context is watched: a console error, an uncaught page error or a request to
any host but 127.0.0.1 fails the test at teardown, so a CSP violation or a CDN link anywhere in a
session is caught without each test having to look for it.

Chromium comes from apt (/usr/bin/chromium, never `playwright install`). Without it the browser
tests are skipped locally and fail in CI (CI=true)."""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response, ViewportSize, expect

from engine.clock import FixedClock, parse_instant
from engine.usecases.runner import Database, connect, handle
from tests.support import ROOT, found

CHROMIUM = os.environ.get("WUYE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START = "2026-11-20T09:00:00+08:00"              # a Friday morning, working time
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 812}
SCREENSHOTS = Path(os.environ.get("WUYE_SCREENSHOTS", ROOT / "build" / "screenshots"))


# -- the browser ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: apt-get install chromium (scripts/dev.sh test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} — in CI this is a failure, not a skip")
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


# -- the server ----------------------------------------------------------------------------------------

@dataclass
class LiveApp:
    url: str
    db: Database
    clock: FixedClock

    def call(self, use_case, user: str | None, **kwargs):
        """Set a scene through the engine's use cases (as ``user``) rather than the pages."""
        from engine.rules.permissions import SYSTEM
        return handle(self.db, use_case, actor=user or SYSTEM, clock=self.clock, **kwargs)


@contextmanager
def serving(base: Path, start: str = START, **initialize: Any) -> Iterator[LiveApp]:
    """The app served on a free port of 127.0.0.1 against a new SQLite file in ``base``, made by
    ``initialize(**initialize)`` at ``start``. A module that needs a server of its own (another
    clock, its own register or deployments) takes it from here and sets its scene on the LiveApp."""
    from werkzeug.serving import make_server

    from engine.usecases.init import initialize as initialize_
    from webforms import create_app

    clock = FixedClock(parse_instant(start))
    db = connect(f"sqlite:///{base / 'wuye.sqlite3'}")
    handle(db, initialize_, actor=None, clock=clock, **initialize)
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": f"browser-tests-{base.name}",
                      "INSTANCE_PATH": str(base / "instance")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"live-app-{base.name}", daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", db, clock)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        db.dispose()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> Iterator[LiveApp]:
    """One server for the session: initializing (19 scrypt password hashes, four processes deployed)
    costs seconds, so tests share it and keep apart by using their own rooms and instances."""
    with serving(tmp_path_factory.mktemp("browser"), demo=True, simulation=True) as app:
        yield app


@pytest.fixture(scope="session")
def base_url(live_app: LiveApp) -> str:
    """Overrides pytest-playwright's own (a session fixture written as an instance method, which
    pytest 9 deprecates — an error here): pages may then go to relative paths."""
    return live_app.url


# -- watching each session -------------------------------------------------------------------------------

@dataclass
class Watch:
    """What the pages did that they should not: console errors and requests that left 127.0.0.1.

    Chromium logs every 4xx/5xx response as a console error, the page itself included; a page that
    is the server's deliberate answer (422 for a refused form, 403/404/409) is not a fault, so
    those lines are dropped for document loads only. A failing script, stylesheet or fetch stays."""
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append((msg.text, msg.location.get("url", "")))

    def on_request(self, req: Request) -> None:
        self.requests.append(req.url)
        if not req.url.startswith(("data:", "blob:", "about:")) and urlsplit(req.url).hostname != "127.0.0.1":
            self.foreign_requests.append(req.url)

    def on_response(self, resp: Response) -> None:
        if resp.status >= 400 and resp.request.resource_type == "document":
            self.error_documents.add(resp.url)

    def unexpected_errors(self) -> list[str]:
        return [f"{text} @ {url}" for text, url in self.console_errors
                if not (_STATUS_LINE.match(text) and url in self.error_documents)]

    def check(self) -> None:
        assert self.foreign_requests == [], f"requests left 127.0.0.1: {self.foreign_requests}"
        assert self.unexpected_errors() == [], f"console errors: {self.unexpected_errors()}"


_STATUS_LINE = re.compile(r"Failed to load resource: the server responded with a status of \d{3}")


def watch_context(context: BrowserContext) -> Watch:
    watch = Watch()
    context.on("console", watch.on_console)
    context.on("weberror", lambda err: watch.console_errors.append((f"uncaught: {err.error}", "")))
    context.on("request", watch.on_request)
    context.on("response", watch.on_response)
    return watch


@pytest.fixture
def watch(context) -> Iterator[Watch]:
    watch = watch_context(context)
    yield watch
    watch.check()


@pytest.fixture
def web(page: Page, live_app: LiveApp, watch: Watch) -> Web:
    page.set_default_timeout(10_000)
    return Web(page, live_app)


@pytest.fixture
def phone_web(browser, browser_context_args, live_app: LiveApp) -> Iterator[Web]:
    """A 375x812 touch screen (an iPhone X's CSS pixels), watched like the default page."""
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "is_mobile": True,
                                     "has_touch": True})
    watch = watch_context(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Web(page, live_app)
    context.close()
    watch.check()


# -- what a user does ------------------------------------------------------------------------------------

class Web:
    """A person at the browser: log in and out, open the inbox, find a task, fill and submit forms."""

    def __init__(self, page: Page, app: LiveApp):
        self.page, self.app = page, app

    def go(self, path: str):
        return self.page.goto(self.app.url + path)

    def login(self, user: str, password: str | None = None) -> None:
        self.go("/login")
        self.page.locator("#username").fill(user)
        self.page.locator("#password").fill(password if password is not None else user)
        self.page.locator("#login-submit").click()
        expect(self.page.get_by_test_id("current-user")).to_have_text(re.compile(rf"^{re.escape(user)}"))

    def logout(self) -> None:
        self.page.get_by_test_id("logout").click()
        expect(self.page.locator("#login-form")).to_be_visible()

    def open_task(self, name: str, room: str) -> str:
        """Find the task by its BPMN name in the inbox, filtered by room with the page's own search,
        open it and return its id."""
        self.page.get_by_role("link", name=re.compile("待办")).first.click()
        self.page.locator("#filter-room").fill(room)
        self.page.locator("#filter-submit").click()
        card = self.page.locator(f'[data-testid="task-card"][data-task-name="{name}"]')
        expect(card).to_have_count(1)
        task_id = found(card.get_attribute("data-task-id"), f"data-task-id on the card of {name}")
        card.get_by_test_id("task-link").click()
        expect(self.page).to_have_url(re.compile(rf"/tasks/{re.escape(task_id)}$"))
        return task_id

    def field(self, name: str):
        return self.page.locator(f"#field-{name}")

    def choose(self, name: str, yes: bool) -> None:
        self.page.locator(f"#field-{name}-{'yes' if yes else 'no'}").check()

    def submit_task(self) -> None:
        self.page.get_by_test_id("complete-task").click()
        expect(self.page.get_by_test_id("task-done")).to_be_visible()
