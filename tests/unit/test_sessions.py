"""Bearer tokens of the JSON API (engine/usecases/sessions.py) through the runner on the fake unit of
work: a token stands for its user for 12 hours and not a second longer, only its digest is stored,
and it stops working the moment its user is deactivated."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from engine.errors import NotPermitted
from engine.rules.permissions import Actor
from engine.usecases.sessions import TOKEN_LIFETIME, actor_for_token, issue_api_token
from tests.support import act


@pytest.fixture
def token(fake_db, clock) -> str:
    fake_db.add_user("finance", ["finance"])
    issued = act(fake_db, issue_api_token, as_="finance", at=clock)
    assert issued["expires_at"] == "2026-11-20T21:00:00+08:00"        # 09:00 + 12 h, Shanghai time
    return issued["token"]


def who(db, clock, token: str):
    return act(db, actor_for_token, as_=None, at=clock, token=token)


def test_a_token_stands_for_its_user_and_their_groups_until_it_expires(fake_db, clock, token):
    actor = who(fake_db, clock, token)
    assert (actor.name, actor.groups) == ("finance", {"finance"})
    clock.advance(TOKEN_LIFETIME - timedelta(seconds=1))
    assert who(fake_db, clock, token).name == "finance"
    clock.advance(timedelta(seconds=1))                               # exactly 12 hours: expired
    assert who(fake_db, clock, token) is None


def test_only_the_sha256_of_a_token_is_stored(fake_db, token):
    (stored,) = fake_db.tokens.values()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token


def test_a_deactivated_users_token_no_longer_works(fake_db, clock, token):
    fake_db.users["finance"].active = False
    assert who(fake_db, clock, token) is None


@pytest.mark.parametrize("given", ["", "not-a-token-we-issued", "x" * 201])
def test_an_unknown_empty_or_overlong_token_stands_for_nobody(fake_db, clock, token, given):
    assert who(fake_db, clock, given) is None
    assert who(fake_db, clock, token[:-1]) is None


def test_no_token_is_issued_for_a_user_deactivated_since_they_signed_in(fake_db, clock):
    fake_db.add_user("gone", ["finance"], active=False)
    signed_in = Actor("gone", frozenset({"finance"}))               # resolved before the deactivation
    with pytest.raises(NotPermitted) as refused:
        act(fake_db, issue_api_token, as_=signed_in, at=clock)
    assert refused.value.message == "没有此用户或已停用 (no such active user): gone"
    assert fake_db.tokens == {}


def test_each_sign_in_gets_a_new_token_and_both_work(fake_db, clock, token):
    second = act(fake_db, issue_api_token, as_="finance", at=clock)["token"]
    assert second != token and len(fake_db.tokens) == 2
    assert who(fake_db, clock, second).name == who(fake_db, clock, token).name == "finance"
