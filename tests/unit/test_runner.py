"""The runner (engine/usecases/runner.py), the one way into the use cases, on the fake unit of work:
a writer is committed once and only when it returned, a reader never, a lost race is the Conflict
the user is shown (exit 5, HTTP 409), and an unknown user never gets as far as the use case."""
from __future__ import annotations

import pytest

from engine.errors import BadInput, Conflict, NotPermitted
from engine.usecases.runner import CONFLICT, handle
from engine.usecases.sessions import actor_for_token
from engine.usecases.users import add_user, password_record
from tests.support import act


@pytest.fixture
def admin_db(fake_db):
    fake_db.add_user("admin", ["admin"])
    return fake_db


def test_a_writing_use_case_runs_in_one_unit_of_work_committed_once(admin_db, clock):
    out = act(admin_db, add_user, as_="admin", at=clock, name="li_lei", groups=["butler"], password="secret")
    assert out == {"name": "li_lei", "groups": ["butler"]}
    # add_user hashes the password between a read (who asks) and its one write (issue 14)
    (asks, unit) = admin_db.units
    assert asks.readonly and not asks.committed
    assert unit.committed and not unit.readonly and admin_db.commits == 1
    assert "li_lei" in admin_db.users


def test_a_writing_use_case_that_refuses_is_not_committed_and_its_message_reaches_the_user(admin_db, clock):
    with pytest.raises(BadInput) as refused:
        act(admin_db, add_user, as_="admin", at=clock, name="li_lei", groups=["plumbers"], password="secret")
    assert refused.value.message.startswith("未知的用户组 (unknown groups): plumbers")
    (_, unit) = admin_db.units
    assert not unit.committed and admin_db.commits == 0 and "li_lei" not in admin_db.users


def test_a_reading_use_case_runs_read_only_and_is_never_committed(admin_db, clock):
    assert act(admin_db, actor_for_token, as_=None, at=clock, token="unknown") is None
    (unit,) = admin_db.units
    assert unit.readonly and not unit.committed and admin_db.commits == 0


def test_someone_else_committing_first_is_a_conflict_to_reload_and_retry_and_nothing_is_kept(admin_db, clock):
    admin_db.conflict_on_commit = True
    with pytest.raises(Conflict) as lost:
        act(admin_db, add_user, as_="admin", at=clock, name="li_lei", groups=["butler"], password="secret")
    assert lost.value.message == CONFLICT and "请刷新后重试" in CONFLICT and "reload and retry" in CONFLICT
    assert (lost.value.exit_code, lost.value.http_status) == (5, 409)
    assert lost.value.__suppress_context__                     # the user sees one line, not storage's error
    assert "li_lei" not in admin_db.users and admin_db.events == []


@pytest.mark.parametrize("name", ["nobody", "retired"])
def test_an_unknown_or_deactivated_user_is_not_permitted_and_the_use_case_never_runs(admin_db, clock, name):
    admin_db.add_user("retired", ["admin"], active=False)
    with pytest.raises(NotPermitted) as refused:
        act(admin_db, add_user, as_=name, at=clock, name="li_lei", groups=["butler"], password="secret")
    assert refused.value.message == f"没有此用户或已停用 (no such active user): {name}"
    assert admin_db.commits == 0 and admin_db.events == [] and "li_lei" not in admin_db.users


def test_a_function_that_is_not_marked_as_a_use_case_is_refused_by_name(admin_db, clock):
    with pytest.raises(TypeError) as refused:
        handle(admin_db, password_record, actor=None, clock=clock, name="admin")
    assert "password_record is not a use case" in str(refused.value)
    assert admin_db.units == []                                # not even a unit of work was opened
