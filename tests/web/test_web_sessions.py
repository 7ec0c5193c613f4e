"""Sessions end on the server (issue 14, finding 6): signing out, a password change and disabling a
user end every session cookie and API token of that user at once, even a cookie copied before."""
from __future__ import annotations

from engine.usecases.users import change_password, disable_user
from tests.support import act


def _copy_of_session(app, client):
    """A second browser holding a copy of ``client``'s session cookie (what an attacker saved)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie was set"
    other.set_cookie("session", cookie.value)
    return other


def _token(client, name: str) -> str:
    resp = client.post("/api/login", json={"username": name, "password": name})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def _inbox_status(client) -> int:
    return client.get("/inbox").status_code


def test_a_session_cookie_saved_before_logout_no_longer_opens_the_inbox(app, client, auth):
    auth.login_as("dispatcher")
    saved = _copy_of_session(app, client)
    assert _inbox_status(saved) == 200
    assert auth.logout().status_code == 302
    resp = saved.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert saved.get("/api/tasks").status_code == 401


def test_logout_in_the_browser_ends_the_users_api_tokens_too(app, client, auth):
    token = _token(app.test_client(), "finance")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/tasks", headers=bearer).status_code == 200
    auth.login_as("finance")
    auth.logout()
    assert app.test_client().get("/api/tasks", headers=bearer).status_code == 401


def test_api_logout_ends_the_token_and_the_browser_sessions(app, client, auth):
    auth.login_as("butler")
    token = _token(app.test_client(), "butler")
    bearer = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    assert api.post("/api/logout", headers=bearer).get_json() == {"logged_out": "butler"}
    assert api.get("/api/tasks", headers=bearer).status_code == 401
    assert _inbox_status(client) == 302


def test_a_password_change_ends_every_session_and_token_and_the_new_password_signs_in(app, client, auth, web_db, clock):
    auth.login_as("front_desk")
    token = _token(app.test_client(), "front_desk")
    act(web_db, change_password, as_="front_desk", at=clock, name="front_desk", password="新的密码-2026")
    assert _inbox_status(client) == 302
    assert app.test_client().get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    fresh = app.test_client()
    assert fresh.post("/api/login", json={"username": "front_desk", "password": "front_desk"}).status_code == 401
    assert fresh.post("/api/login", json={"username": "front_desk", "password": "新的密码-2026"}).status_code == 200


def test_disabling_a_user_ends_their_session_and_token_at_once(app, client, auth, web_db, clock):
    auth.login_as("engineering")
    token = _token(app.test_client(), "engineering")
    act(web_db, disable_user, as_="admin", at=clock, name="engineering")
    assert _inbox_status(client) == 302
    assert app.test_client().get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_other_staff_may_not_change_someone_elses_password(web_db, clock):
    import pytest

    from engine.errors import NotPermitted
    with pytest.raises(NotPermitted):
        act(web_db, change_password, as_="butler", at=clock, name="finance", password="whatever1")
