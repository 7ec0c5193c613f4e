"""The process owners' JSON API: definitions and versions, deploy by body, multipart or JSON with a
comment (422 with element-level problems, nothing stored), the diff, and migrate (409 with the
reasons); every route 403 for anyone but process owners and administrators, 401 for nobody."""
from __future__ import annotations

import io

import pytest

from tests.support import BPMN_DIR
from tests.web.conftest import csrf_token

V1 = (BPMN_DIR / "leave_request.bpmn").read_text()
V2 = V1.replace("add_working_hours(received_at, 2)", "add_working_hours(received_at, 4)")
GONE = V1.replace('id="repair"', 'id="inspect"').replace('attachedToRef="repair"', 'attachedToRef="inspect"') \
         .replace('targetRef="repair"', 'targetRef="inspect"').replace('sourceRef="repair"', 'sourceRef="inspect"') \
         .replace("<bpmn:flowNodeRef>repair</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>inspect</bpmn:flowNodeRef>")


@pytest.fixture
def owner(client):
    resp = client.post("/api/login", json={"username": "process_owner", "password": "process_owner"})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_the_definitions_list_every_version_with_who_when_why_hash_and_running(client, owner, steps):
    steps.to_repair()
    body = client.get("/api/definitions", headers=owner).get_json()
    (visit,) = body["definitions"]
    (v1,) = visit["versions"]
    assert (visit["id"], v1["version"], v1["running"], v1["deployed_by"]) == ("visit_request", 1, 1, "system")
    xml = client.get("/api/definitions/visit_request/1", headers=owner)
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and xml.get_data(as_text=True) == V1
    assert xml.headers["X-Content-Hash"] == v1["hash"]
    assert client.get("/api/definitions/visit_request/7", headers=owner).status_code == 404


def test_deploy_as_the_body_as_multipart_or_as_json_each_with_its_comment(client, owner):
    resp = client.post("/api/definitions?comment=时限改为4小时&file=leave_request.bpmn", data=V2.encode(),
                       headers={**owner, "Content-Type": "application/xml"})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["deployed"][0]["version"] == 2
    v3 = V2.replace("add_working_hours(received_at, 4)", "add_working_hours(received_at, 3)")
    resp = client.post("/api/definitions", headers=owner, data={
        "file": (io.BytesIO(v3.encode()), "leave_request.bpmn"), "comment": "改为3小时"})
    assert resp.status_code == 201 and resp.get_json()["deployed"][0]["version"] == 3
    resp = client.post("/api/definitions", headers=owner, json={"xml": V1, "comment": "恢复原样"})
    assert resp.status_code == 201 and resp.get_json()["deployed"][0]["version"] == 4
    versions = client.get("/api/definitions", headers=owner).get_json()["definitions"][0]["versions"]
    assert [v["comment"] for v in versions] == ["", "时限改为4小时", "改为3小时", "恢复原样"]


def test_a_refused_deploy_is_422_with_each_problem_and_its_element_and_changes_nothing(client, owner):
    bad = V2.replace("add_working_hours(received_at, 4)", "add_workng_hours(received_at, 4)")
    resp = client.post("/api/definitions", headers=owner, json={"xml": bad, "file": "leave_request.bpmn"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] and body["problems"]
    (problem,) = body["problems"]
    assert problem["element"] in ("repair_late", "td1") and isinstance(problem["line"], int)
    versions = client.get("/api/definitions", headers=owner).get_json()["definitions"][0]["versions"]
    assert len(versions) == 1


def test_the_diff_shows_the_changed_timer(client, owner):
    client.post("/api/definitions", headers=owner, json={"xml": V2, "file": "leave_request.bpmn"})
    body = client.get("/api/definitions/visit_request/diff?from=1&to=2", headers=owner).get_json()
    assert [c["id"] for c in body["changed"]] == ["repair_late"]
    assert body["changed"][0]["properties"][0]["to"] == "add_working_hours(received_at, 4)"
    resp = client.get("/api/definitions/visit_request/diff?from=1", headers=owner)
    assert resp.status_code == 400 and "to" in resp.get_json()["fields"]


def test_migrate_moves_a_waiting_instance_and_refuses_with_reasons(client, owner, steps):
    instance, _ = steps.to_repair()
    client.post("/api/definitions", headers=owner, json={"xml": V2, "file": "leave_request.bpmn"})
    client.post("/api/definitions", headers=owner, json={"xml": GONE, "file": "leave_request.bpmn"})
    check = client.get(f"/api/instances/{instance}/migrate?to_version=3", headers=owner).get_json()
    assert check["can_migrate"] is False and check["reasons"]
    refused = client.post(f"/api/instances/{instance}/migrate", headers=owner, json={"to_version": 3})
    assert refused.status_code == 409 and refused.get_json()["reasons"] == check["reasons"]
    bad = client.post(f"/api/instances/{instance}/migrate", headers=owner, json={"to_version": "2"})
    assert bad.status_code == 422 and "to_version" in bad.get_json()["fields"]
    moved = client.post(f"/api/instances/{instance}/migrate", headers=owner, json={"to_version": 2})
    assert moved.status_code == 200 and moved.get_json()["to"] == 2
    assert client.get(f"/api/instances/{instance}", headers=owner).get_json()["version"] == 2


ROUTES = [("get", "/api/definitions"), ("get", "/api/definitions/visit_request/1"),
          ("post", "/api/definitions"), ("get", "/api/definitions/visit_request/diff?from=1&to=1"),
          ("get", "/api/instances/1/migrate?to_version=1"), ("post", "/api/instances/1/migrate"),
          ("post", "/api/definitions/visit_request/migrate")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anyone_but_process_owners_and_administrators_gets_403_and_nobody_401(client, method, path):
    assert getattr(client, method)(path, json={"xml": V2, "to_version": 1}).status_code == 401
    for user in ("dispatcher", "cs_manager", "quality"):
        token = client.post("/api/login", json={"username": user, "password": user}).get_json()["token"]
        resp = getattr(client, method)(path, json={"xml": V2, "to_version": 1, "from_version": 1},
                                       headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 403, (user, resp.get_json())


def test_a_cookie_session_post_needs_the_csrf_header(client, auth):
    auth.login_as("process_owner")
    assert client.post("/api/definitions", json={"xml": V2}).status_code == 400
    token = csrf_token(client, "/inbox")
    resp = client.post("/api/definitions", json={"xml": V2, "file": "leave_request.bpmn"},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 201


def test_a_scheduled_process_shows_its_next_start_to_the_process_owner(client, owner, auth):
    xml = (BPMN_DIR / "timers" / "scheduled_check.bpmn").read_bytes()
    resp = client.post("/api/definitions?file=scheduled_check.bpmn", data=xml,
                       headers={**owner, "Content-Type": "application/xml"})
    assert resp.status_code == 201, resp.get_json()
    listed = {d["id"]: d for d in client.get("/api/definitions", headers=owner).get_json()["definitions"]}
    assert listed["scheduled_check"]["next_start"] == "2026-11-23T09:00:00+08:00"     # Monday after Friday
    assert listed["visit_request"]["next_start"] is None and "versions" in listed["visit_request"]
    auth.login_as("process_owner")
    page = client.get("/modeler/").get_data(as_text=True)
    assert 'data-testid="next-start-scheduled_check"' in page and "下次：2026-11-23 09:00" in page
