"""修改密码 (issue 14, finding 6's page): a signed-in person changes their own password; the current
one is checked under the sign-in rate limit, the rule stands beside the field, every other session
and token of theirs ends at once, and the session that made the change stays signed in."""
from __future__ import annotations

from engine.rules.passwords import new_password_problems
from tests.web.conftest import csrf_token

NEW = "春天的钥匙-2026"


def _change(client, current: str, new: str, repeat: str | None = None, with_csrf: bool = True):
    data = {"current": current, "new": new, "repeat": new if repeat is None else repeat}
    if with_csrf:
        data["csrf_token"] = csrf_token(client, "/account/password")
    return client.post("/account/password", data=data)


def _api_login(app, name: str, password: str) -> int:
    return app.test_client().post("/api/login", json={"username": name, "password": password}).status_code


def test_the_page_states_the_rule_beside_the_new_password_and_is_linked_from_every_page(client, auth):
    auth.login_as("butler")
    assert 'id="nav-password"' in client.get("/inbox").get_data(as_text=True)
    html = client.get("/account/password").get_data(as_text=True)
    assert "至少 8 个字符，不能全是数字，不能包含用户名" in html and 'aria-describedby="new-rule' in html
    assert _change(client, "butler", NEW, with_csrf=False).status_code == 400
    assert _api_login(client.application, "butler", "butler") == 200       # without CSRF nothing changed


def test_a_change_keeps_this_session_and_ends_every_other_session_and_token(app, client, auth, web_db):
    auth.login_as("front_desk")
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value)
    token = app.test_client().post("/api/login", json={"username": "front_desk", "password": "front_desk"}
                                   ).get_json()["token"]
    resp = _change(client, "front_desk", NEW)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and "密码已修改" in inbox.get_data(as_text=True)
    assert copied.get("/inbox").status_code == 302
    assert app.test_client().get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _api_login(app, "front_desk", "front_desk") == 401 and _api_login(app, "front_desk", NEW) == 200
    from sqlalchemy import text
    with web_db.engine.connect() as c:
        assert c.execute(text("select actor from events where type = 'password_changed'")).scalars().all() == [
            "front_desk"]


REFUSED = [
    ("wrong-one", NEW, NEW, "current", "当前密码不对"),
    ("finance", "short1", "short1", "new", "至少 8 个字符"),
    ("finance", "1234567890", "1234567890", "new", "不能全是数字"),
    ("finance", "my-finance-pw", "my-finance-pw", "new", "不能包含用户名"),
    ("finance", NEW, NEW + "x", "repeat", "不一致"),
]


def test_a_refused_change_names_its_field_and_changes_nothing(app, client, auth):
    auth.login_as("finance")
    for current, new, repeat, field, says in REFUSED:
        resp = _change(client, current, new, repeat)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422 and f'data-testid="error-{field}"' in html and says in html, (field, says)
    assert client.get("/inbox").status_code == 200 and _api_login(app, "finance", "finance") == 200


def test_guessing_the_current_password_meets_the_sign_in_limit(app, client, auth):
    auth.login_as("security")
    for _ in range(5):
        assert _change(client, "guess", NEW).status_code == 422
    blocked = _change(client, "security", NEW)
    assert blocked.status_code == 429 and "分钟后再试" in blocked.get_data(as_text=True)
    assert _api_login(app, "security", "security") == 429        # the same count as the login page's


def test_the_rule_is_checked_field_by_field():
    assert new_password_problems("cleaning", "cleaning", "Cleaning-2026", "Cleaning-2026")["new"]["en"] == \
        "must not contain the user name"
    assert new_password_problems("cleaning", "old-secret-1", "old-secret-1", "old-secret-1")["new"]["en"] == \
        "must differ from the current password"
    assert new_password_problems("cleaning", "", NEW, NEW).keys() == {"current"}
    assert new_password_problems("cleaning", "x", NEW, NEW) == {}
