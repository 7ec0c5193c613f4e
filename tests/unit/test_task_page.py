"""One page of the inbox (tasks.task_page, GET /api/tasks) through the runner on the fake unit of work:
a limit outside 1..500 and a cursor the server did not hand out are malformed requests (400) that
name the field, with a message in Chinese and English; a cursor keeps its row's place exactly.
The order itself, on SQLite and PostgreSQL, is tests/integration/test_inbox_paging.py."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.errors import BadInput
from engine.usecases.tasks import BadCursor, decode_cursor, encode_cursor, task_page
from tests.support import act
from tests.unit.fakes import T0


@pytest.fixture
def inbox_db(fake_db):
    """butler's inbox: five tasks, due in 30, 10 and 20 minutes and two without a due time."""
    fake_db.add_user("butler", ["butler"])
    definition = fake_db.add_definition("visit_request", {"name": "上门", "elements": {}})
    for task_id, due in (("t30", 30), ("t10", 10), ("t20", 20), ("undated-b", None), ("undated-a", None)):
        fake_db.add_task(definition, task_id, lane="butler",
                         due_at=None if due is None else T0 + timedelta(minutes=due))
    return fake_db


def page(db, clock, **args) -> dict:
    return act(db, task_page, as_="butler", at=clock, **args)


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_a_page_size_outside_1_to_500_is_refused_naming_the_limit(inbox_db, clock, limit):
    with pytest.raises(BadCursor) as refused:
        page(inbox_db, clock, limit=limit)
    assert refused.value.http_status == 400 and isinstance(refused.value, BadInput)
    assert refused.value.message == "limit 必须在 1 到 500 之间 (limit must be 1..500)"
    assert refused.value.fields == {"limit": {"key": "page.limit", "message": "每页 1 到 500 条",
                                              "en": "between 1 and 500"}}


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "WzEsMiwzXQ", "WyJ4Il0",
                                    "WyIyMDI2LTExLTIwVDAxOjAwOjAwIiwiMjAyNi0xMS0yMFQwMTowMDowMCIsIngiXQ"])
def test_a_cursor_this_server_did_not_hand_out_is_refused_naming_the_field(inbox_db, clock, cursor):
    # not base64; not JSON; [1,2,3]; ["x"]; naive times
    with pytest.raises(BadCursor) as refused:
        page(inbox_db, clock, limit=2, after=cursor)
    assert refused.value.http_status == 400
    assert refused.value.fields["after"] == {"key": "page.cursor", "message": "分页游标无效，请从第一页重新开始",
                                             "en": "invalid cursor: start again from the first page"}


def test_pages_follow_one_another_by_cursor_and_the_last_has_none(inbox_db, clock):
    first = page(inbox_db, clock, limit=2)
    assert [t["id"] for t in first["tasks"]] == ["t10", "t20"] and first["next"]
    second = page(inbox_db, clock, limit=2, after=first["next"])
    assert [t["id"] for t in second["tasks"]] == ["t30", "undated-a"]
    last = page(inbox_db, clock, limit=2, after=second["next"])
    assert [t["id"] for t in last["tasks"]] == ["undated-b"] and last["next"] is None
    assert page(inbox_db, clock, limit=5)["next"] is None              # exactly full: no next page


def test_a_page_lists_each_task_with_its_title_lane_and_due_time_in_shanghai_time(inbox_db, clock):
    (task,) = page(inbox_db, clock, limit=1)["tasks"]
    assert (task["id"], task["lane"], task["due_at"]) == ("t10", "butler", "2026-11-20T09:10:00+08:00")


def test_a_cursor_keeps_times_to_the_microsecond_and_in_utc(fake_db):
    definition = fake_db.add_definition("p", {})
    row = fake_db.add_task(definition, "x", lane="butler", due_at=None,
                           created_at=datetime(2026, 11, 20, 9, 0, 0, 123, tzinfo=timezone(timedelta(hours=8))))
    key = decode_cursor(encode_cursor(row))
    assert (key.due_at, key.created_at, key.id) == (None, datetime(2026, 11, 20, 1, 0, 0, 123, tzinfo=UTC),
                                                    "x")
