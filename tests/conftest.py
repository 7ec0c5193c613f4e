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
import shutil
import subprocess
import sys
import tempfile
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


_SQLITE_TEMPLATE: list[Path] = []
_PG_TEMPLATES: dict[str, str] = {}


def _pg_from_template(url: str, processes_dir: Path) -> str:
    """The same for PostgreSQL: the fresh, empty database is re-created from an initialized template
    database (CREATE DATABASE ... TEMPLATE), built once per server."""
    import psycopg
    from engine.clock import FixedClock, parse_instant
    from engine.usecases.init import initialize
    from storage.uow import Database
    server, name = url.rsplit("/", 1)
    if server not in _PG_TEMPLATES:
        template_url = _new_pg_database(server)
        built = Database(template_url)
        initialize(built, clock=FixedClock(parse_instant("2026-11-02T08:00:00+08:00")), demo=True,
                   processes_dir=processes_dir)
        built.dispose()
        _PG_TEMPLATES[server] = template_url.rsplit("/", 1)[1]
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_PG_TEMPLATES[server]}"')
    return url


def _initialized(url: str, processes_dir: Path | None):
    """Initialize ``url``. An empty SQLite file with no processes to deploy is a copy of one
    template initialized once per session: `initialize` hashes 19 demo passwords with scrypt
    (~5 s), which every test paid before; the copy is byte-for-byte what `initialize` writes."""
    from engine.clock import FixedClock, parse_instant
    from engine.usecases.init import initialize
    from storage.uow import Database
    target = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    nothing_to_deploy = processes_dir is not None and not any(
        p.suffix in (".bpmn", ".dmn") for p in processes_dir.glob("*"))
    if target is not None and nothing_to_deploy and not target.exists():
        if not _SQLITE_TEMPLATE:
            template = Path(tempfile.mkdtemp(prefix="wuye-template-")) / "template.sqlite3"
            built = Database(f"sqlite:///{template}")
            initialize(built, clock=FixedClock(parse_instant("2026-11-02T08:00:00+08:00")), demo=True,
                       processes_dir=processes_dir)
            built.dispose()             # last connection closed: the WAL is checkpointed into the file
            _SQLITE_TEMPLATE.append(template)
        shutil.copyfile(_SQLITE_TEMPLATE[0], target)
        return Database(url)
    if url.startswith("postgresql") and nothing_to_deploy:
        return Database(_pg_from_template(url, processes_dir))
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
