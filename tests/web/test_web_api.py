"""The JSON API of design.md: tokens, the routes, and the error shapes and codes."""
from datetime import timedelta

import pytest

from tests.web.conftest import csrf_token


def test_login_returns_a_token_and_stores_only_its_hash(client, web_db):
    from storage.models import ApiToken
    body = client.post("/api/login", json={"username": "butler", "password": "butler"}).get_json()
    assert len(body["token"]) >= 40 and body["expires_at"] == "2026-11-20T21:00:00+08:00"
    with web_db.uow(readonly=True) as uow:
        (row,) = uow.session.query(ApiToken).all()
        assert row.token_hash != body["token"] and len(row.token_hash) == 64
        assert body["token"] not in row.token_hash


def test_login_with_a_wrong_password_is_401_and_is_rate_limited(client):
    for _ in range(5):
        resp = client.post("/api/login", json={"username": "butler", "password": "x"})
        assert resp.status_code == 401 and resp.get_json()["error"].startswith("用户名或密码错误")
    resp = client.post("/api/login", json={"username": "butler", "password": "butler"})
    assert resp.status_code == 429 and "登录失败次数过多" in resp.get_json()["error"]


def test_a_login_body_that_is_not_a_json_object_is_400(client):
    resp = client.post("/api/login", data="[1, 2]", content_type="application/json")
    assert resp.status_code == 400 and "error" in resp.get_json()


def test_without_a_session_or_token_every_route_is_401_json(client):
    for method, path in [("get", "/api/processes"), ("get", "/api/tasks"), ("get", "/api/instances/1"),
                         ("get", "/api/instances/1/history"), ("post", "/api/instances"),
                         ("post", "/api/tasks/x/claim"), ("post", "/api/tasks/x/unclaim"),
                         ("post", "/api/tasks/x/complete"), ("post", "/api/instances/1/messages/m")]:
        resp = getattr(client, method)(path, json={})
        assert resp.status_code == 401 and resp.is_json and "error" in resp.get_json(), path


def test_a_garbage_or_expired_token_is_401(client, token, clock):
    assert client.get("/api/tasks", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Basic YnV0bGVyOmJ1dGxlcg=="}).status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Bearer "}).status_code == 401
    headers = token("butler")
    assert client.get("/api/tasks", headers=headers).status_code == 200
    clock.advance(timedelta(hours=12, seconds=1))
    resp = client.get("/api/tasks", headers=headers)
    assert resp.status_code == 401 and "令牌无效或已过期" in resp.get_json()["error"]


def test_a_wrong_token_is_refused_even_alongside_a_valid_session(client, auth):
    auth.login_as("dispatcher")
    assert client.get("/api/tasks").status_code == 200
    assert client.get("/api/tasks", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_processes_lists_what_the_user_may_start_with_the_start_form(client, token):
    body = client.get("/api/processes", headers=token("front_desk")).get_json()
    assert [p["process"] for p in body] == ["visit_request"]
    assert [f["id"] for f in body[0]["start_form"]] == ["room", "received_at"]
    assert client.get("/api/processes", headers=token("engineering")).get_json() == []


def test_a_visit_request_runs_from_start_to_end_through_the_api(client, token, clock):
    desk, eng, sup = token("front_desk"), token("engineering"), token("cs_supervisor")
    resp = client.post("/api/instances", json={"process": "visit_request", "data": {"room": "3-2-1102"}}, headers=desk)
    assert resp.status_code == 201
    instance, (register,) = resp.get_json()["instance"], resp.get_json()["ready"]
    done = client.post(f"/api/tasks/{register['id']}/complete", json={"data": {"content": "厨房水管漏水"}},
                       headers=desk)
    (repair,) = done.get_json()["ready"]
    assert repair["due_at"] == "2026-11-20T11:00:00+08:00"
    listed = client.get("/api/tasks?room=3-2&process=visit_request", headers=eng).get_json()
    assert [t["id"] for t in listed] == [repair["id"]] and listed[0]["form"][0]["id"] == "hours"
    assert client.post(f"/api/tasks/{repair['id']}/claim", headers=eng).get_json()["assignee"] == "engineering"
    assert client.post(f"/api/tasks/{repair['id']}/unclaim", headers=eng).get_json()["assignee"] is None
    (approve,) = client.post(f"/api/tasks/{repair['id']}/complete", json={"data": {"hours": 5}},
                             headers=eng).get_json()["ready"]
    client.post(f"/api/tasks/{approve['id']}/complete", json={"data": {"approved": True}}, headers=sup)
    shown = client.get(f"/api/instances/{instance}", headers=desk).get_json()
    assert shown["status"] == "running" and {"name": "owner_cancelled", "kind": "message"} in shown["waiting"]
    msg = client.post(f"/api/instances/{instance}/messages/owner_cancelled", json={"data": {"reason": "不修了"}},
                      headers=desk)
    assert msg.status_code == 200 and msg.get_json()["status"] == "completed"
    types = [e["type"] for e in client.get(f"/api/instances/{instance}/history", headers=desk).get_json()]
    assert types[0] == "instance_started" and types[-1] == "instance_completed"


def test_a_form_error_is_422_with_the_field_named(client, token, steps):
    _, repair = steps.to_repair()
    resp = client.post(f"/api/tasks/{repair['id']}/complete", json={"data": {"hours": 99, "colour": "red"}},
                       headers=token("engineering"))
    body = resp.get_json()
    assert resp.status_code == 422 and set(body["fields"]) == {"hours", "colour"}
    assert body["fields"]["hours"]["key"] == "form.max" and body["fields"]["colour"]["key"] == "form.unknown"


def test_bad_query_and_body_values_are_400(client, token):
    headers = token("front_desk")
    resp = client.get("/api/tasks?instance=abc", headers=headers)
    assert resp.status_code == 400 and "instance" in resp.get_json()["fields"]
    resp = client.post("/api/instances", json={"data": {}}, headers=headers)
    assert resp.status_code == 400 and "process" in resp.get_json()["fields"]


def test_a_body_nested_past_the_decoders_depth_is_400_not_a_server_error(client, token):
    resp = client.post("/api/instances", data="[" * 100_000 + "]" * 100_000, content_type="application/json",
                       headers=token("front_desk"))
    assert resp.status_code == 400 and "JSON" in resp.get_json()["error"]


def test_ids_no_row_can_have_are_404_or_400_not_a_server_error(client, token, auth):
    headers, huge = token("butler"), "9" * 23                 # past 2**63 - 1: the driver would overflow
    assert client.get(f"/api/instances/{huge}", headers=headers).status_code == 404
    assert client.get(f"/api/instances/{huge}/history", headers=headers).status_code == 404
    for bad in (huge, "²"):                                   # '²'.isdigit() is True, int('²') fails
        resp = client.get("/api/tasks", query_string={"instance": bad}, headers=headers)
        assert resp.status_code == 400 and "instance" in resp.get_json()["fields"]
    auth.login_as("butler")
    assert client.get(f"/instances/{huge}").status_code == 404
    assert client.get(f"/letters/{huge}").status_code == 404
    assert client.get("/letters/²").status_code == 404


def test_not_permitted_is_403_and_not_found_is_404(client, token, steps):
    instance, repair = steps.to_repair()
    assert client.post(f"/api/tasks/{repair['id']}/complete", json={"data": {"hours": 1}},
                       headers=token("butler")).status_code == 403
    assert client.get(f"/api/instances/{instance}", headers=token("cleaning")).status_code == 403
    assert client.get("/api/instances/999", headers=token("butler")).status_code == 404
    assert client.post("/api/tasks/nope/claim", headers=token("butler")).status_code == 404
    assert client.post("/api/instances", json={"process": "nope"}, headers=token("butler")).status_code == 404
    assert client.get("/api/no-such-route", headers=token("butler")).status_code == 404


def test_a_task_completed_by_someone_else_first_is_409(client, token, steps):
    _, repair = steps.to_repair()
    steps.complete(repair["id"], "demo", {"hours": 1})
    resp = client.post(f"/api/tasks/{repair['id']}/complete", json={"data": {"hours": 2}}, headers=token("engineering"))
    assert resp.status_code == 409 and "demo" in resp.get_json()["error"]


def test_a_message_the_instance_is_not_waiting_for_is_404(client, token, steps):
    instance, _ = steps.to_repair()
    resp = client.post(f"/api/instances/{instance}/messages/owner_cancelled", json={}, headers=token("front_desk"))
    assert resp.status_code == 404


def test_quality_reads_through_the_api_but_may_not_act(client, token, steps):
    instance, repair = steps.to_repair()
    q = token("quality")
    assert client.get(f"/api/instances/{instance}", headers=q).status_code == 200
    assert [t["id"] for t in client.get("/api/tasks?all=1", headers=q).get_json()] == [repair["id"]]
    assert client.post(f"/api/tasks/{repair['id']}/claim", headers=q).status_code == 403
    assert client.post(f"/api/tasks/{repair['id']}/complete", json={"data": {"hours": 1}}, headers=q).status_code == 403
    assert client.post("/api/instances", json={"process": "visit_request", "data": {"room": "1"}},
                       headers=q).status_code == 403


def test_a_cookie_session_post_needs_the_csrf_header_but_a_bearer_post_does_not(client, auth, token, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    refused = client.post(f"/api/tasks/{repair['id']}/claim")
    assert refused.status_code == 400 and refused.is_json
    ok = client.post(f"/api/tasks/{repair['id']}/claim", headers={"X-CSRFToken": csrf_token(client, "/inbox")})
    assert ok.status_code == 200 and ok.get_json()["assignee"] == "engineering"
    other = client.application.test_client()
    assert other.post(f"/api/tasks/{repair['id']}/unclaim", headers=token("engineering")).status_code == 200


def test_tasks_come_in_pages_with_the_next_cursor_in_headers_and_the_body_a_bare_list(client, token, steps):
    ids = []
    for room in ["1-1-0101", "1-1-0102", "1-1-0103"]:
        ids.append(steps.to_repair(room=room)[1]["id"])
        steps.later(minutes=10)
    headers = token("engineering")
    first = client.get("/api/tasks?limit=2&room=1-1-01", headers=headers)
    assert first.status_code == 200 and [t["id"] for t in first.get_json()] == ids[:2]
    cursor = first.headers["X-Next-Cursor"]
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"') and "room=1-1-01" in link and f"after={cursor}" in link
    second = client.get(link[1:link.index(">")], headers=headers)
    assert [t["id"] for t in second.get_json()] == ids[2:]
    assert "X-Next-Cursor" not in second.headers and "Link" not in second.headers
    whole = client.get("/api/tasks", headers=headers)               # default 100: all three, no cursor
    assert [t["id"] for t in whole.get_json()] == ids and "X-Next-Cursor" not in whole.headers


@pytest.mark.parametrize(("query", "field"), [("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"),
                                          ("after=bm9wZQ", "after"), ("after=%25%25", "after")])
def test_a_bad_limit_or_cursor_is_400_naming_the_field(client, token, query, field):
    resp = client.get(f"/api/tasks?{query}", headers=token("butler"))
    assert resp.status_code == 400 and field in resp.get_json()["fields"]
