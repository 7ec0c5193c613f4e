"""The integration tier: storage, concurrency, crashes, several workers, the timer loop, the inbox's
paging and the CLI, on real SQLite files and the session's PostgreSQL server (the root conftest's
``db`` runs each test on both), with real threads and processes. Not BPMN paths: those are
tests/procedures. Shared scenes are plain modules (tests/support.py, tests/integration/loops.py)."""
from __future__ import annotations

import pytest

from cli.timer_loop import TimerLoop


@pytest.fixture
def running_loops():
    """Timer loops a test starts, stopped (and joined) whatever happens."""
    loops: list[TimerLoop] = []
    yield loops
    for loop in loops:
        loop.stop(timeout=30)
