"""Keyset paging of the inbox (TaskRepository.inbox ``after`` and the task_page use case) on SQLite and
PostgreSQL: tasks with and without due times, ties on due_at and created_at, and a task completed
between two pages, which must neither skip a row nor show one twice. (A limit or cursor refused, and
a cursor's exactness: tests/unit/test_task_page.py.)"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.rules.permissions import Actor
from engine.usecases.tasks import decode_cursor, task_page
from storage.models import Definition, Instance, Task, TaskCandidate
from storage.repositories import InboxKey
from tests.support import act, at

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
CLOCK = at("2026-11-20T09:00:00+08:00")
BUTLER = Actor("butler", frozenset({"butler"}))


def _seed(db, specs: list[tuple[str, int | None, int]]) -> None:
    """One instance; per spec (task id, due in minutes from T0 or None, created minutes from T0), a ready
    task offered to butler. Microseconds on some times check that a cursor keeps them exactly."""
    with db.uow() as uow:
        s = uow.session
        definition = Definition(kind="bpmn", key="p", name="P", version=1, content_hash="h", file_name="p.bpmn",
                                source="", meta={"elements": {}, "name": "P"}, deployed_by="t", deployed_at=T0)
        s.add(definition)
        s.flush()
        instance = Instance(definition_id=definition.id, process_id="p", status="running", state="",
                            serializer_version="", version=1, started_by="t", started_at=T0, updated_at=T0,
                            retries=0)
        s.add(instance)
        s.flush()
        for task_id, due, created in specs:
            s.add(Task(id=task_id, instance_id=instance.id, process_id="p", name="t", title=task_id, lane="butler",
                       candidate_groups="butler", state="ready", priority=0, room="1-1-0101",
                       due_at=None if due is None else T0 + timedelta(minutes=due, microseconds=7),
                       created_at=T0 + timedelta(minutes=created, microseconds=123)))
            s.add(TaskCandidate(task_id=task_id, group_id="butler"))
        uow.commit()


# inbox order: due soonest first (ties by created_at, then id), tasks without a due time last
SPECS = [("t-undated-b", None, 1), ("t-due20-a", 20, 5), ("t-undated-a", None, 1), ("t-due10", 10, 9),
         ("t-due20-c", 20, 5), ("t-due20-b", 20, 3), ("t-undated-c", None, 0), ("t-due30", 30, 0)]
ORDER = ["t-due10", "t-due20-b", "t-due20-a", "t-due20-c", "t-due30", "t-undated-c", "t-undated-a", "t-undated-b"]


def _walk(db, limit: int, **filters) -> list[list[str]]:
    pages, after = [], None
    for _ in range(len(SPECS) + 2):          # a cursor that does not advance must fail, not loop forever
        with db.uow(readonly=True) as uow:
            rows = uow.tasks.inbox(user="butler", groups=["butler"], limit=limit, after=after, **filters)
            keys = [InboxKey(r.due_at, r.created_at, r.id) for r in rows]
        pages.append([k.id for k in keys])
        if len(keys) < limit:
            return pages
        after = keys[-1]
    raise AssertionError(f"paging does not end: {pages}")


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 8])
def test_pages_of_any_size_walk_the_whole_inbox_order_once(db, limit):
    _seed(db, SPECS)
    pages = _walk(db, limit)
    assert [t for page in pages for t in page] == ORDER
    assert all(len(page) == limit for page in pages[:-1])


def test_the_first_page_is_the_inbox_order_and_overdue_never_lists_undated_tasks(db):
    _seed(db, SPECS)
    with db.uow(readonly=True) as uow:
        assert [r.id for r in uow.tasks.inbox(user="butler", groups=["butler"])] == ORDER
        overdue = uow.tasks.inbox(user="butler", groups=["butler"], overdue_at=T0 + timedelta(minutes=25))
        assert [r.id for r in overdue] == ORDER[:4]


def _page(db, limit: int, after: str | None = None) -> dict:
    return act(db, task_page, as_=BUTLER, at=CLOCK, limit=limit, after=after)


def test_a_task_completed_between_two_pages_neither_skips_nor_repeats_a_row(db):
    _seed(db, SPECS)
    first = _page(db, 3)
    assert [t["id"] for t in first["tasks"]] == ORDER[:3] and first["next"]
    with db.uow() as uow:                     # someone completes a task of the first page, and the last one
        uow.step_rows.close([(task_id, "completed", T0, "butler") for task_id in ("t-due20-b", "t-due20-a")])
        uow.commit()
    second = _page(db, 3, first["next"])
    assert [t["id"] for t in second["tasks"]] == ORDER[3:6]
    third = _page(db, 3, second["next"])
    assert [t["id"] for t in third["tasks"]] == ORDER[6:] and third["next"] is None


def test_a_cursor_in_the_undated_tail_continues_there(db):
    _seed(db, SPECS)
    first = _page(db, 6)
    assert first["tasks"][-1]["id"] == "t-undated-c" and decode_cursor(first["next"]).due_at is None
    assert [t["id"] for t in _page(db, 6, first["next"])["tasks"]] == ORDER[6:]


def test_the_last_page_has_no_next_cursor_even_when_it_is_exactly_full(db):
    _seed(db, SPECS)
    assert _page(db, 8)["next"] is None
    assert _page(db, 7)["next"] is not None
