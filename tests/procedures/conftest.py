"""The procedure tier: BPMN paths on real SQLite files (the main paths on PostgreSQL too).

Every scenario runs twice (style.md, habit 5; SpiffWorkflow's own save/restore habit):

- ``[cached]``: as a server runs, with the per-process cache of loaded workflows
  (engine/step/cache.py) at its configured size, so a step may continue the workflow the previous
  step of that instance left in memory;
- ``[reloaded]``: the cache off, so every step loads the workflow from the JSON stored by the step
  before it: a save/load through storage between every two steps.

A test marked ``@pytest.mark.once`` (a deploy-time check that never steps a workflow) runs once, and
so does every test of the deploy-time modules in ``ONCE_MODULES``: most of their cases are refusals,
and some deploy into a database their module shares, where the same file deployed twice makes no new
version (a case there run twice would test something else the second time)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.step.cache import workflows

MODES = ("cached", "reloaded")
ONCE_MODULES = {"test_deploy.py", "test_external_models.py"}


def pytest_generate_tests(metafunc):
    once = metafunc.definition.get_closest_marker("once") is not None
    if not once and Path(metafunc.module.__file__).name not in ONCE_MODULES:
        metafunc.parametrize("workflow_cache", MODES, indirect=True)


@pytest.fixture(autouse=True)
def workflow_cache(request):
    """``cached`` or ``reloaded`` (see above); the cache's size is restored afterwards."""
    mode = getattr(request, "param", "cached")
    size = workflows.size
    workflows.clear()
    workflows.resize(size if mode == "cached" else 0)
    yield mode
    workflows.clear()
    workflows.resize(size)
