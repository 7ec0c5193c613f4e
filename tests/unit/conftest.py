"""The unit tier: no database at all. Pure functions (forms, calendar, sandbox, permissions, cursors)
and the use cases that need no workflow, run through the runner against the fake unit of work of
tests/unit/fakes.py. A unit test that asks for a database fixture is refused at collection."""
from __future__ import annotations

import pytest

from tests.support import at
from tests.unit.fakes import FakeDatabase

DATABASE_FIXTURES = {"db", "db_url", "sqlite_db", "sqlite_url", "pg_url", "pg_server", "wuye"}


def pytest_collection_modifyitems(items):
    for item in items:
        wanted = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if wanted and "tests/unit/" in item.nodeid:
            raise pytest.UsageError(f"{item.nodeid} asks for {', '.join(sorted(wanted))}: "
                                    "tests/unit has no database (move it to tests/procedures or tests/integration)")


@pytest.fixture
def fake_db() -> FakeDatabase:
    """An empty fake database with the groups of engine/rules/groups.py."""
    return FakeDatabase()


@pytest.fixture
def clock():
    return at("2026-11-20T09:00:00+08:00")         # a Friday morning, working time
