"""Shared fixtures: a real SQLite file per test, a real PostgreSQL server per session (Debian's
postgresql package: initdb in a temp dir, pg_ctl on a free port), and the `wuye` CLI run in-process
or as a real subprocess.

`db` is parametrized over both databases, so every storage and engine test that takes it runs on
SQLite and on PostgreSQL. Locally the PostgreSQL half is skipped when the server binaries are
missing; in CI (CI=true) that is a failure instead."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = Path(__file__).resolve().parent / "bpmn"


# -- PostgreSQL ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the whole session; yields its base URL."""
    from bench.pgserver import ServerMissing, throwaway_server
    try:
        with throwaway_server() as url:
            yield url
    except ServerMissing as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{e} — in CI this is a failure, not a skip")
        pytest.skip(str(e))


def _new_pg_database(server_url: str) -> str:
    from bench.pgserver import new_database
    return new_database(server_url)


# -- databases ---------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wuye.sqlite3'}"
    return _new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'wuye.sqlite3'}"


@pytest.fixture
def pg_url(pg_server) -> str:
    return _new_pg_database(pg_server)


def _initialized(url: str, processes_dir: Path | None):
    from engine.clock import FixedClock, parse_instant
    from engine.usecases.init import initialize
    from storage.uow import Database
    database = Database(url)
    initialize(database, clock=FixedClock(parse_instant("2026-11-02T08:00:00+08:00")), demo=True,
               processes_dir=processes_dir)
    return database


@pytest.fixture
def db(db_url, tmp_path):
    """An initialized database (schema, groups, demo users, no processes) on SQLite and PostgreSQL."""
    empty = tmp_path / "no-processes"
    empty.mkdir()
    database = _initialized(db_url, empty)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url, tmp_path):
    empty = tmp_path / "no-processes"
    empty.mkdir(exist_ok=True)
    database = _initialized(sqlite_url, empty)
    yield database
    database.dispose()


# -- the CLI -----------------------------------------------------------------------------------------

@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Wuye:
    """Runs `wuye` against one database: in-process by default (fast), or as a real subprocess."""

    def __init__(self, url: str):
        self.url = url

    def __call__(self, *args: str, now: str | datetime | None = None, stdin: str | None = None) -> CliResult:
        from cli.main import main
        argv = ([f"--now={now.isoformat() if isinstance(now, datetime) else now}"] if now else []) + list(args)
        out, err = io.StringIO(), io.StringIO()
        old_env, old_stdin = os.environ.get("WUYE_DATABASE_URL"), sys.stdin
        os.environ["WUYE_DATABASE_URL"] = self.url
        sys.stdin = io.StringIO(stdin) if stdin is not None else io.StringIO("")
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as e:          # argparse usage errors
                    code = e.code if isinstance(e.code, int) else 2
        finally:
            sys.stdin = old_stdin
            if old_env is None:
                os.environ.pop("WUYE_DATABASE_URL", None)
            else:
                os.environ["WUYE_DATABASE_URL"] = old_env
        return CliResult(code, out.getvalue(), err.getvalue())

    def subprocess(self, *args: str, now: str | None = None, stdin: str | None = None,
                   timeout: float = 120) -> CliResult:
        argv = [sys.executable, "-m", "cli"] + ([f"--now={now}"] if now else []) + list(args)
        env = {**os.environ, "WUYE_DATABASE_URL": self.url, "PYTHONPATH": str(ROOT)}
        p = subprocess.run(argv, input=stdin or "", capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
        return CliResult(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def wuye(db) -> Wuye:
    """The CLI bound to the initialized `db` (SQLite and PostgreSQL)."""
    return Wuye(str(db.engine.url.render_as_string(hide_password=False)))
