"""flaskr-style fixtures for the web tests: the real app on a real SQLite file (initialized like the
`sqlite_db` fixture: schema, groups, demo users) with tests/bpmn/leave_request.bpmn (process visit_request)
deployed, a FixedClock the test can move, a client, and `auth.login_as("dispatcher")`."""
from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FixedClock, parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.runner import connect, handle
from tests.support import BPMN_DIR
from webforms import create_app

START = "2026-11-20T09:00:00+08:00"        # a Friday, working time


@pytest.fixture
def clock():
    return FixedClock(parse_instant(START))


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    """One initialized database file (schema, groups, demo users, visit_request deployed) per session;
    every test works on its own copy, so the password hashing of 19 demo users is paid once."""
    from tests.support import initialized as _initialized
    base = tmp_path_factory.mktemp("web-seed")
    empty = base / "no-processes"
    empty.mkdir()
    database = _initialized(f"sqlite:///{base / 'seed.sqlite3'}", empty)
    handle(database, deploy, actor=SYSTEM, clock=FixedClock(parse_instant(START)),
           files=[("leave_request.bpmn", (BPMN_DIR / "leave_request.bpmn").read_bytes())])
    database.dispose()
    return base / "seed.sqlite3"


@pytest.fixture
def web_db(seeded_sqlite, tmp_path):
    target = tmp_path / "wuye.sqlite3"
    shutil.copyfile(seeded_sqlite, target)
    database = connect(f"sqlite:///{target}")
    yield database
    database.dispose()


@pytest.fixture
def app(web_db, clock, tmp_path):
    return create_app({"TESTING": True, "DATABASE": web_db, "CLOCK": clock, "SECRET_KEY": "test-secret",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = (re.search(r'name="csrf-token" content="([^"]+)"', html)
             or re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str | None = None):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"username": username, "password": password or username,
                                                "csrf_token": token})

    def login_as(self, username: str):
        resp = self.login(username)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/inbox")})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def token(client):
    """``token("finance")``: the Authorization header of a fresh API token of that demo user."""
    def login(user: str) -> dict:
        resp = client.post("/api/login", json={"username": user, "password": user})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['token']}"}
    return login


class Steps:
    """Drive visit_request through the engine's use cases (not the pages) to set up a scene."""

    def __init__(self, db, clock):
        self.db, self.clock = db, clock

    def call(self, fn, user: str | None, **kwargs):
        return handle(self.db, fn, actor=user or SYSTEM, clock=self.clock, **kwargs)

    def start_visit(self, room: str = "3-2-1102", user: str = "front_desk") -> dict:
        from engine.usecases.start_instance import start_instance
        return self.call(start_instance, user, process_id="visit_request", data={"room": room})

    def complete(self, task_id: str, user: str, data: dict) -> dict:
        from engine.usecases.tasks import complete_task
        return self.call(complete_task, user, task_id=task_id, data=data)

    def to_repair(self, room: str = "3-2-1102") -> tuple[int, dict]:
        """An instance whose ready task is engineering's 上门维修 (due 2 working hours after start)."""
        started = self.start_visit(room)
        done = self.complete(started["ready"][0]["id"], "front_desk", {"content": "厨房水管漏水"})
        return started["instance"], done["ready"][0]

    def later(self, **kwargs) -> None:
        self.clock.advance(timedelta(**kwargs))


@pytest.fixture
def steps(web_db, clock):
    return Steps(web_db, clock)
