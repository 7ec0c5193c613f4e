"""Fixtures several tiers share: a real SQLite file per test, a real PostgreSQL server per session
(Debian's postgresql package: initdb in a temp dir, pg_ctl on a free port), and the `wuye` CLI bound
to a test's database. Plain helpers (paths, the CLI runner, database initialisation, running a use
case) are in tests/support.py; each tier's own fixtures are in its conftest.py.

`db` is parametrized over both databases, so every test that takes it runs on SQLite and on
PostgreSQL. Locally the PostgreSQL half is skipped when the server binaries are missing; in CI
(CI=true) that is a failure instead."""
from __future__ import annotations

import os

import pytest

from engine.step.cache import workflows
from tests.support import Wuye, initialized, new_pg_database


@pytest.fixture(autouse=True)
def _no_workflow_from_another_test():
    """The workflow cache is per process and keyed by instance id and version, not by database: a
    test's instance 1 must never be served another test's (pytest runs many databases in one process)."""
    workflows.clear()
    yield
    workflows.clear()


@pytest.fixture(autouse=True, scope="session")
def _audit_key_in_a_temporary_folder(tmp_path_factory):
    """The checkpoints' signing key (and the timer loop's checkpoint files) of every database a test
    makes without saying where: in a temporary folder, never the home directory (a PostgreSQL
    database's default). Tests of where the key goes by default unset it themselves."""
    if "WUYE_AUDIT_KEY" not in os.environ:
        os.environ["WUYE_AUDIT_KEY"] = str(tmp_path_factory.mktemp("audit-key") / "audit.key")


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


# -- databases ---------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wuye.sqlite3'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'wuye.sqlite3'}"


@pytest.fixture
def pg_url(pg_server) -> str:
    return new_pg_database(pg_server)


@pytest.fixture
def db(db_url, tmp_path):
    """An initialized database (schema, groups, demo users, no processes) on SQLite and PostgreSQL."""
    empty = tmp_path / "no-processes"
    empty.mkdir()
    database = initialized(db_url, empty)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url, tmp_path):
    empty = tmp_path / "no-processes"
    empty.mkdir(exist_ok=True)
    database = initialized(sqlite_url, empty)
    yield database
    database.dispose()


@pytest.fixture
def wuye(db) -> Wuye:
    """The CLI bound to the initialized `db` (SQLite and PostgreSQL)."""
    return Wuye(db.url)
