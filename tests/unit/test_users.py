"""Adding a user and signing in (engine/usecases/users.py, sessions.log_in) through the runner on the
fake unit of work: what the administrator is told for each refusal, with the field it names, and
that a refusal stores nothing."""
from __future__ import annotations

import pytest

from engine.errors import BadInput, Conflict
from engine.rules.passwords import generate_password_hash
from engine.usecases.sessions import log_in
from engine.usecases.users import add_user
from tests.support import act


@pytest.fixture(scope="module")
def hashed() -> dict[str, str]:
    """Password hashes of users named after their password (scrypt is slow: made once)."""
    return {name: generate_password_hash(name) for name in ("butler", "retired")}


@pytest.fixture
def admin_db(fake_db):
    fake_db.add_user("admin", ["admin"])
    return fake_db


def adding(db, clock, **args) -> dict:
    return act(db, add_user, as_="admin", at=clock, **{"groups": ["butler"], "password": "secret", **args})


@pytest.mark.parametrize("name", ["a", "1abc", "王小明", "with space", "x" * 65, ""])
def test_a_user_name_that_is_not_2_to_64_letters_digits_or_marks_is_refused_naming_the_field(admin_db, clock,
                                                                                             name):
    with pytest.raises(BadInput) as refused:
        adding(admin_db, clock, name=name)
    assert "用户名无效" in refused.value.message and "2-64 letters" in refused.value.message
    assert refused.value.fields == {"name": {"key": "user.name"}}
    assert set(admin_db.users) == {"admin"} and admin_db.events == [] and admin_db.commits == 0


def test_a_name_already_taken_is_a_conflict_and_the_existing_user_is_untouched(admin_db, clock):
    existing = admin_db.add_user("wang_butler", ["butler"], password_hash="kept")
    with pytest.raises(Conflict) as refused:
        adding(admin_db, clock, name="wang_butler", groups=["finance"])
    assert refused.value.message == "用户已存在 (user wang_butler exists)" and refused.value.exit_code == 5
    assert admin_db.users["wang_butler"] is existing and existing.group_ids == {"butler"}
    assert existing.password_hash == "kept"


def test_unknown_groups_are_named_with_the_groups_there_are(admin_db, clock):
    with pytest.raises(BadInput) as refused:
        adding(admin_db, clock, name="li_lei", groups=["butler", "plumbers", "gardeners"])
    assert refused.value.message.startswith(
        "未知的用户组 (unknown groups): plumbers, gardeners; known: admin, archivist")
    assert refused.value.fields == {"groups": {"key": "user.groups"}}
    assert "li_lei" not in admin_db.users


def test_a_password_shorter_than_four_characters_is_refused(admin_db, clock):
    with pytest.raises(BadInput) as refused:
        adding(admin_db, clock, name="li_lei", password="abc")
    assert refused.value.message == "密码至少 4 个字符 (password too short)"
    assert refused.value.fields == {"password": {"key": "user.password"}}
    assert "li_lei" not in admin_db.users and admin_db.events == []


def test_an_added_user_is_in_their_groups_and_the_log_says_who_added_them(admin_db, clock):
    out = adding(admin_db, clock, name="li_lei", groups=["finance", "butler"], display_name="李雷")
    assert out == {"name": "li_lei", "groups": ["butler", "finance"]}
    user = admin_db.users["li_lei"]
    assert user.display_name == "李雷" and user.group_ids == {"butler", "finance"} and user.active
    assert [(e["type"], e["actor"], e["data"]["name"]) for e in admin_db.events] == [("user_added", "admin", "li_lei")]
    assert admin_db.commits == 1


def test_without_a_password_one_is_made_shown_once_and_works(admin_db, clock):
    out = adding(admin_db, clock, name="li_lei", password=None)
    assert len(out["password"]) >= 12
    assert act(admin_db, log_in, as_=None, at=clock, name="li_lei", password=out["password"], via="cli") is not None
    assert "password" not in adding(admin_db, clock, name="han_meimei")


def test_signing_in_with_the_right_password_leaves_a_login_event_with_the_address(fake_db, clock, hashed):
    fake_db.add_user("butler", ["butler", "quality"], password_hash=hashed["butler"])
    actor = act(fake_db, log_in, as_=None, at=clock, name="butler", password="butler", via="web",
                address="10.0.0.7")
    assert actor.name == "butler" and actor.groups == {"butler", "quality"}
    assert actor.working_groups == {"butler"}                   # 品质部 membership only lets one read
    assert [(e["type"], e["actor"], e["at"], e["data"]) for e in fake_db.events] == [
        ("login", "butler", clock.now(), {"via": "web", "address": "10.0.0.7"})]


@pytest.mark.parametrize(("name", "password"), [("butler", "wrong"), ("butler", ""), ("nobody", "butler"),
                                            ("retired", "retired")])
def test_a_wrong_password_an_unknown_or_a_deactivated_user_does_not_sign_in_and_leaves_no_event(fake_db, clock,
                                                                                             hashed, name, password):
    fake_db.add_user("butler", ["butler"], password_hash=hashed["butler"])
    fake_db.add_user("retired", ["butler"], password_hash=hashed["retired"], active=False)
    assert act(fake_db, log_in, as_=None, at=clock, name=name, password=password, via="web") is None
    assert fake_db.events == []
