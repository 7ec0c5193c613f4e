"""Inputs at their limits (issue 14, findings 7-11), on SQLite and PostgreSQL, through the JSON API
and the command line: dates at the calendar's edges, numbers of hundreds or thousands of digits,
lone surrogates, NUL bytes and digits that are not ASCII are each refused with 422 / exit 2 naming
the field, and nothing is written."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.clock import FixedClock, parse_instant
from storage.models import Event, Instance
from tests.support import BPMN_DIR, PROCESSES, Wuye
from webforms import create_app

NOW = "2026-11-20T09:00:00+08:00"
EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-01:00"]


@pytest.fixture
def api(db, tmp_path):
    w = Wuye(db.url)
    assert w("deploy", str(BPMN_DIR / "leave_request.bpmn"), str(PROCESSES / "fee_collection.bpmn")).code == 0
    app = create_app({"TESTING": True, "DATABASE": db, "CLOCK": FixedClock(parse_instant(NOW)),
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance")})
    client = app.test_client()
    token = client.post("/api/login", json={"username": "demo", "password": "demo"}).get_json()["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _written(db) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Instance)), conn.scalar(select(func.max(Event.seq)))


def _post(client, path: str, body: str):
    return client.post(path, data=body.encode("utf-8", "surrogatepass"), content_type="application/json")


def _refused(resp, field: str) -> dict:
    assert resp.status_code == 422, (resp.status_code, resp.get_data(as_text=True)[:300])
    body = resp.get_json()
    assert field in body["fields"], body
    return body


@pytest.mark.parametrize("edge", EDGES)
def test_a_date_at_the_calendars_edge_is_a_field_error_in_a_form_a_cursor_and_now(api, db, wuye, edge):
    before = _written(db)
    resp = api.post("/api/instances", json={"process": "visit_request", "data": {"room": "1-1", "received_at": edge}})
    assert _refused(resp, "received_at")["fields"]["received_at"]["key"] == "form.date"
    assert _written(db) == before
    cursor = api.get("/api/tasks?after=" + __import__("base64").urlsafe_b64encode(
        json.dumps([edge, edge, "x"]).encode()).decode())
    assert cursor.status_code == 400 and "after" in cursor.get_json()["fields"]
    out = wuye("tasks", "--as", "demo", now=edge)
    assert out.code == 2 and "--now" in out.err and "Traceback" not in out.err


def test_a_401_digit_integer_in_a_double_field_and_a_5000_digit_one_in_data(api, db, wuye):
    before = _written(db)
    start = {"owner": "张三", "room": "1-1", "period": "2026", "amount_due": 10**400, "due_date": "2026-12-01"}
    resp = _post(api, "/api/instances", json.dumps({"process": "fee_collection", "data": start}))
    body = _refused(resp, "data.amount_due")
    assert body["fields"]["data.amount_due"]["key"] == "input.too_many_digits"
    out = wuye("start", "fee_collection", "--as", "demo", "--data", json.dumps({**start, "amount_due": 10**400}),
               now=NOW)
    assert out.code == 2 and "amount_due" in out.err
    huge = '{"owner": "张三", "amount_due": ' + "9" * 5000 + "}"
    out = wuye("start", "fee_collection", "--as", "demo", "--data", huge, now=NOW)
    assert out.code == 2 and "--data" in out.err and "Traceback" not in out.err
    assert _written(db) == before


@pytest.mark.parametrize("body", ['{"process": "visit_request", "data": {"room": "\\ud800"}}',
                                  '{"process": "visit_request", "data": {"\\ud800": "1-1"}}'])
def test_a_lone_surrogate_in_a_value_or_a_key_is_refused(api, db, wuye, body):
    before = _written(db)
    resp = _post(api, "/api/instances", body)
    assert resp.status_code == 422 and resp.get_json()["fields"]
    assert next(iter(resp.get_json()["fields"].values()))["key"] == "input.surrogate"
    out = wuye("start", "visit_request", "--as", "demo", "--data", json.loads(json.dumps(body))
               .replace("\\ud800", "\ud800"), now=NOW)
    assert out.code == 2 and "Traceback" not in out.err
    assert _written(db) == before


def test_nul_bytes_are_refused_in_filters_sign_in_ids_and_data(api, db, wuye):
    before = _written(db)
    assert _refused(api.get("/api/tasks?room=1%00"), "room")
    login = api.post("/api/login", json={"username": "demo\x00", "password": "demo"})
    assert login.status_code == 422 and "username" in login.get_json()["fields"]
    assert api.post("/api/tasks/ab%00cd/claim").status_code == 422
    resp = api.post("/api/instances", json={"process": "visit_request", "data": {"room": "1\x00-1"}})
    assert _refused(resp, "data.room")["fields"]["data.room"]["key"] == "input.nul"
    out = wuye("start", "visit_request", "--as", "demo", "--data", '{"room": "1\\u0000"}', now=NOW)
    assert out.code == 2 and "room" in out.err
    assert wuye("tasks", "--as", "demo", "--room", "1\x00").code == 2
    assert _written(db) == before


def test_only_ascii_digits_are_numbers_and_true_is_not_text(api, db):
    started = api.post("/api/instances", json={"process": "visit_request", "data": {"room": "1-1"}}).get_json()
    assert api.get(f"/api/instances/{started['instance']}").status_code == 200
    assert api.get("/api/instances/%D9%A1").status_code == 404            # Arabic-Indic one is not instance 1
    assert api.get("/api/instances/%EF%BC%91").status_code == 404         # nor is a full-width one
    task = started["ready"][0]["id"]
    assert api.post(f"/api/tasks/{task}/claim").status_code == 200
    resp = api.post(f"/api/tasks/{task}/complete", json={"data": {"content": True}})
    assert _refused(resp, "content")["fields"]["content"]["key"] == "form.string"
    done = api.post(f"/api/tasks/{task}/complete", json={"data": {"content": "门锁坏了"}}).get_json()
    repair = done["ready"][0]["id"]
    api.post(f"/api/tasks/{repair}/claim")
    for typed in ("\u0661", "\uff11"):
        resp = api.post(f"/api/tasks/{repair}/complete", json={"data": {"hours": typed}})
        assert _refused(resp, "hours")["fields"]["hours"]["key"] == "form.long"
