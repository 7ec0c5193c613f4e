"""Signing in and out, the rate limit, CSRF, security headers, and pages that need a session."""

import pytest

from tests.web.conftest import csrf_token


def test_the_login_page_is_chinese_and_carries_a_csrf_token(client):
    resp = client.get("/login")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<html lang="zh-CN"' in html and "用户名" in html and "密码" in html
    assert 'name="csrf_token"' in html


def test_a_right_password_signs_in_and_lands_in_the_inbox(client, auth):
    resp = auth.login("dispatcher")
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox"
    page = client.get("/inbox")
    assert page.status_code == 200 and "dispatcher" in page.get_data(as_text=True)


def test_a_login_is_written_to_the_audit_log(client, auth, web_db):
    auth.login_as("butler")
    with web_db.uow(readonly=True) as uow:
        logins = [e for e in uow.events.all() if e.type == "login"]
    assert [(e.actor, e.data["via"]) for e in logins] == [("butler", "web")]


def test_a_wrong_password_is_refused_with_a_message_and_no_session(client, auth):
    resp = auth.login("dispatcher", "wrong")
    assert resp.status_code == 200 and "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_the_login_form_without_csrf_token_is_refused(client):
    resp = client.post("/login", data={"username": "dispatcher", "password": "dispatcher"})
    assert resp.status_code == 400
    assert client.get("/inbox").status_code == 302


def test_five_failures_block_that_user_from_that_address_for_five_minutes(client, auth, clock):
    from datetime import timedelta
    for _ in range(5):
        assert auth.login("dispatcher", "wrong").status_code == 200
    blocked = auth.login("dispatcher")                     # even the right password
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.get_data(as_text=True)
    assert auth.login("butler").status_code == 302         # another user is not blocked
    auth.logout()
    clock.advance(timedelta(minutes=5, seconds=1))
    assert auth.login("dispatcher").status_code == 302


def test_a_successful_login_clears_the_failure_count(client, auth):
    for _ in range(4):
        auth.login("dispatcher", "wrong")
    auth.login_as("dispatcher")
    auth.logout()
    for _ in range(4):
        assert auth.login("dispatcher", "wrong").status_code == 200
    assert auth.login("dispatcher").status_code == 302


def test_next_only_redirects_within_the_site(client):
    token = csrf_token(client)
    resp = client.post("/login?next=//evil.example/x", data={"username": "butler", "password": "butler",
                                                              "csrf_token": token})
    assert resp.headers["Location"] == "/inbox"


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/\\/evil.example", "/\t/evil.example/x",
                                    "/\n/evil.example"])
def test_next_refuses_what_a_browser_would_read_as_another_site(client, target):
    token = csrf_token(client)
    resp = client.post("/login", query_string={"next": target},
                       data={"username": "butler", "password": "butler", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox"


def test_next_keeps_a_path_on_this_site(client):
    token = csrf_token(client)
    resp = client.post("/login", query_string={"next": "/instances?room=3-2-1102"},
                       data={"username": "butler", "password": "butler", "csrf_token": token})
    assert resp.headers["Location"] == "/instances?room=3-2-1102"


def test_logout_ends_the_session_and_needs_a_post_with_csrf(client, auth):
    auth.login_as("dispatcher")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400            # no CSRF token
    assert auth.logout().status_code == 302
    assert client.get("/inbox").status_code == 302


@pytest.mark.parametrize("path", ["/", "/inbox", "/inbox/fragment", "/start", "/start/visit_request",
                                  "/instances", "/instances/1", "/instances/1/diagram.bpmn", "/tasks/x",
                                  "/tasks/x/done"])
def test_every_page_sends_an_anonymous_visitor_to_the_login_page(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/tasks/x/claim", "/tasks/x/unclaim", "/tasks/x/assign", "/tasks/x",
                                  "/start/visit_request", "/instances/1/messages"])
def test_every_form_post_needs_a_session_first(client, path):
    resp = client.post(path, data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_every_response_carries_the_security_headers(client, auth):
    for resp in (client.get("/login"), client.get("/api/tasks")):
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_httponly_and_samesite(client, auth):
    resp = auth.login("dispatcher")
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_scripts(client, auth, steps):
    instance, _ = steps.to_repair()
    auth.login_as("demo")
    for path in ("/inbox", "/start", "/start/visit_request", "/instances", f"/instances/{instance}"):
        html = client.get(path).get_data(as_text=True)
        import re
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts and all("src=" in s for s in scripts), (path, scripts)
        assert " onclick=" not in html and " onload=" not in html


def test_a_secret_key_is_generated_once_and_kept_in_the_instance_folder(web_db, tmp_path, monkeypatch):
    from webforms import create_app
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("WUYE_SECRET_KEY", raising=False)
    first = create_app({"DATABASE": web_db, "INSTANCE_PATH": str(tmp_path / "inst")})
    assert len(first.config["SECRET_KEY"]) == 64
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o777 == 0o600
    again = create_app({"DATABASE": web_db, "INSTANCE_PATH": str(tmp_path / "inst")})
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]


@pytest.mark.parametrize(("path", "kind"), [("/api/login", "application/json"),
                                        ("/login", "application/x-www-form-urlencoded")])
def test_an_oversized_body_is_refused_before_it_is_read(client, path, kind):
    body = b'{"username": "' + b"a" * (3 * 1024 * 1024) + b'", "password": "x"}'
    resp = client.post(path, data=body, content_type=kind)
    assert resp.status_code == 413
    if path.startswith("/api/"):
        assert resp.is_json and "error" in resp.get_json() and "Traceback" not in resp.get_data(as_text=True)


def test_signing_in_starts_a_fresh_session_so_a_planted_csrf_token_is_worthless(client):
    with client.session_transaction() as planted:
        planted["csrf_token"] = "token-an-attacker-knows"
    token = csrf_token(client)
    assert client.post("/login", data={"username": "butler", "password": "butler",
                                       "csrf_token": token}).status_code == 302
    with client.session_transaction() as after:
        assert after.get("_user_id") == "0:butler"      # generation:name (finding 6)
        assert after.get("csrf_token") != "token-an-attacker-knows"


def test_the_rate_limit_forgets_the_names_and_addresses_whose_window_has_passed(client, web_db, clock):
    from datetime import timedelta

    def attempt(name, address):
        token = csrf_token(client)
        return client.post("/login", data={"username": name, "password": "wrong-pw", "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})
    for i in range(4):                                        # guesses under new names from new addresses
        assert attempt(f"guess{i}", f"203.0.113.{i}").status_code == 200
    with web_db.uow(readonly=True) as uow:
        assert uow.logins.tracked() == 8                      # each name and address, each address
    clock.advance(timedelta(hours=1))
    assert attempt("butler", "198.51.100.7").status_code == 200
    with web_db.uow(readonly=True) as uow:
        assert uow.logins.tracked() == 2                      # only the last attempt's two keys are left


def test_an_unknown_user_name_costs_a_password_check_like_a_known_one(client, monkeypatch):
    """Equal work (not timing, which is noisy): a name that does not exist is still hashed."""
    from werkzeug.security import check_password_hash as real  # what engine/usecases/users.py calls

    import engine.usecases.users as users
    checked = []

    def counting(h, p):
        checked.append(p)
        return real(h, p)
    monkeypatch.setattr(users, "check_password_hash", counting)
    for name in ("butler", "no_such_person"):
        token = csrf_token(client)
        client.post("/login", data={"username": name, "password": "wrong-pw", "csrf_token": token})
    assert checked == ["wrong-pw", "wrong-pw"]


def test_behind_a_trusted_proxy_the_rate_limit_counts_each_client_address_not_the_proxy(web_db, clock, tmp_path):
    from webforms import create_app
    app = create_app({"TESTING": True, "DATABASE": web_db, "CLOCK": clock, "SECRET_KEY": "test-secret",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "TRUSTED_PROXIES": 1})

    def attempt(client, address, password):
        token = csrf_token(client, "/login")
        return client.post("/login", data={"username": "dispatcher", "password": password, "csrf_token": token},
                           headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.1"})

    attacker = app.test_client()
    for _ in range(5):
        attempt(attacker, "203.0.113.9", "wrong")
    assert attempt(attacker, "203.0.113.9", "dispatcher").status_code == 429
    assert attempt(app.test_client(), "198.51.100.7", "dispatcher").status_code == 302   # not locked out too
