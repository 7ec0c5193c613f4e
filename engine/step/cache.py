"""Recently used loaded workflows and instance rows, kept per process between steps.

Loading a workflow (JSON parse, SpiffWorkflow's from_dict, attaching the script engine) is most of
what a step costs beyond SpiffWorkflow's own work, and a desk works one instance several times in a
row. An entry is keyed by the database and the instance id (one process may talk to several
databases — the tests, the benchmarks — where instance 1 exists in each), and holds the instance's
``version`` column as it was committed together with that workflow state; it is put here only
after that commit succeeded. A step checks the version under the instance's row lock, so a stale
entry can never be used: another process's commit raised the version, and it no longer matches.

An entry is *taken* (removed) when a step starts: a step mutates its workflow, and a step that fails
or rolls back must not leave a half-run workflow behind. Bounded (least recently used goes first);
``resize(0)`` turns it off, and every step then loads from the stored state, as the procedure tests
do for each scenario once (SpiffWorkflow's own save/restore habit).

The instance's row object (``instances``) is kept the same way, beside its workflow: a step locks the
row with one statement that reads only its version, and when that is the version kept, it reuses the
object the last step committed instead of loading the row and its definition through the ORM again.
Every write to an instance raises its version (the ORM's version counter, and the step's own update),
so a kept object is never older than the row when its version matches."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from engine.spiff import Run
from storage.models import Instance

DEFAULT_SIZE = 256
Kept = TypeVar("Kept")


class WorkflowCache(Generic[Kept]):
    def __init__(self, size: int = DEFAULT_SIZE):
        self._size = max(0, size)
        self._entries: OrderedDict[tuple[str, int], tuple[int, Kept]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, key: tuple[str, int], version: int) -> Kept | None:
        """The workflow of instance ``key`` (database, instance id) as committed at ``version``,
        removed from the cache; None on a miss (an entry of another version is dropped too: it can
        never match again)."""
        with self._lock:
            entry = self._entries.pop(key, None)
        return entry[1] if entry is not None and entry[0] == version else None

    def put(self, key: tuple[str, int], version: int, kept: Kept) -> None:
        if self._size == 0:
            return
        with self._lock:
            self._entries[key] = (version, kept)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def resize(self, size: int) -> None:
        with self._lock:
            self._size = max(0, size)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _configured_size() -> int:
    text = os.environ.get("WUYE_WORKFLOW_CACHE", "")
    return int(text) if text.isascii() and text.isdigit() else DEFAULT_SIZE


class StepCache(WorkflowCache[Run]):
    """The loaded workflows, and beside them (``instances``) the instance row objects, sized and
    cleared together (a test that turns the cache off turns both off)."""

    def __init__(self, size: int = DEFAULT_SIZE):
        super().__init__(size)
        self.instances: WorkflowCache[Instance] = WorkflowCache(size)

    def resize(self, size: int) -> None:
        super().resize(size)
        self.instances.resize(size)

    def clear(self) -> None:
        super().clear()
        self.instances.clear()


workflows = StepCache(_configured_size())
