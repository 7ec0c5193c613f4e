"""`wuye user passwd` and `wuye user disable` (issue 14, finding 6): each ends every API token of
the user at once, on both databases; the new password signs in, the old one does not."""
from __future__ import annotations

from engine.clock import SystemClock
from engine.usecases.runner import handle
from engine.usecases.sessions import actor_for_token, issue_api_token, log_in


def _token(db, name: str) -> str:
    actor = handle(db, log_in, actor=None, clock=SystemClock(), name=name, password=name, via="test")
    assert actor is not None
    return handle(db, issue_api_token, actor=actor, clock=SystemClock())["token"]


def _valid(db, token: str) -> bool:
    return handle(db, actor_for_token, actor=None, clock=SystemClock(), token=token) is not None


def test_a_new_password_from_stdin_ends_the_users_tokens(wuye, db):
    token = _token(db, "finance")
    out = wuye("user", "passwd", "finance", stdin="新密码-2026\n")
    assert out.code == 0, out.err
    assert out.json == {"name": "finance", "sessions_ended": True}
    assert not _valid(db, token)
    assert handle(db, log_in, actor=None, clock=SystemClock(), name="finance", password="finance", via="t") is None
    assert handle(db, log_in, actor=None, clock=SystemClock(), name="finance", password="新密码-2026", via="t")
    history = wuye("audit", "verify")
    assert history.code == 0


def test_disabling_a_user_ends_their_tokens_and_staff_may_not_do_it(wuye, db):
    token = _token(db, "butler")
    refused = wuye("user", "disable", "butler", "--as", "front_desk")
    assert refused.code == 3 and _valid(db, token)
    out = wuye("user", "disable", "butler")
    assert out.code == 0 and out.json["active"] is False
    assert not _valid(db, token)
    assert wuye("user", "disable", "nobody").code == 4
    assert wuye("user", "passwd", "front_desk", stdin="").code == 2
