"""Camunda 7's external-task REST API under /engine-rest, and the JSON API's additions of issue 13
(incidents, messages by correlation key, the unassigned queue), through the Flask client: who may
call them, the shapes Camunda's clients expect, and errors in both Camunda's and our words."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.external_tasks import grant_topics
from engine.usecases.runner import handle
from tests.support import BPMN_DIR

INTEROP = BPMN_DIR / "interop"




@pytest.fixture
def models(web_db, clock):
    for name in ("external_task.bpmn", "correlated_message.bpmn", "unassigned_task.bpmn"):
        handle(web_db, deploy, actor=SYSTEM, clock=clock, files=[(name, (INTEROP / name).read_bytes())])
    handle(web_db, grant_topics, actor=SYSTEM, clock=clock, name="worker", topics=["sms"])


def start_sms(client, token) -> int:
    resp = client.post("/api/instances", json={"process": "external_task", "data": {"phone": "13900000000"}},
                       headers=token("front_desk"))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["instance"]


FETCH = {"workerId": "w1", "maxTasks": 5, "topics": [{"topicName": "sms", "lockDuration": 10000}]}


def test_the_engine_rest_api_wants_a_worker_token_bearer_or_basic(client, token, models):
    assert client.post("/engine-rest/external-task/fetchAndLock", json=FETCH).status_code == 401
    wrong = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH,
                        headers={"Authorization": "Bearer nonsense"})
    assert wrong.status_code == 401 and wrong.get_json()["type"] and "Bearer" in wrong.get_json()["message"]
    person = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH, headers=token("front_desk"))
    assert person.status_code == 403 and "worker group" in person.get_json()["error"]
    raw = token("worker")["Authorization"].split()[1]
    basic = base64.b64encode(f"worker:{raw}".encode()).decode()
    ok = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH, headers={"Authorization": f"Basic {basic}"})
    assert ok.status_code == 200 and ok.get_json() == []
    other = base64.b64encode(f"butler:{raw}".encode()).decode()
    assert client.post("/engine-rest/external-task/fetchAndLock", json=FETCH,
                       headers={"Authorization": f"Basic {other}"}).status_code == 401


def test_fetch_fail_and_complete_in_camundas_shapes(client, token, models, clock):
    instance = start_sms(client, token)
    worker = token("worker")
    (task,) = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH, headers=worker).get_json()
    assert task["processInstanceId"] == str(instance) and task["lockExpirationTime"] == "2026-11-20T09:00:10.000+0800"
    failed = client.post(f"/engine-rest/external-task/{task['id']}/failure", headers=worker,
                         json={"workerId": "w1", "errorMessage": "短信网关超时", "retries": 0, "retryTimeout": 0})
    assert failed.status_code == 204
    admin = token("admin")
    (incident,) = client.get("/api/incidents", headers=admin).get_json()
    assert incident["externalTaskId"] == task["id"] and incident["incidentMessage"] == "短信网关超时"
    assert client.get("/engine-rest/incident", headers=admin).get_json() == [incident]
    assert client.get("/api/incidents", headers=token("butler")).status_code == 403
    assert client.put(f"/engine-rest/external-task/{task['id']}/retries", json={"retries": 1},
                      headers=admin).status_code == 204
    (again,) = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH, headers=worker).get_json()
    bad = client.post(f"/engine-rest/external-task/{again['id']}/complete", headers=worker,
                      json={"workerId": "w1", "variables": {"sms_id": {"value": 1, "type": "String"}}})
    assert bad.status_code == 422 and "variables.sms_id" in bad.get_json()["fields"]
    assert bad.get_json()["type"] == "InvalidRequestException"
    done = client.post(f"/engine-rest/external-task/{again['id']}/complete", headers=worker,
                       json={"workerId": "w1", "variables": {"sms_id": {"value": "M-9", "type": "String"}}})
    assert done.status_code == 204
    twice = client.post(f"/engine-rest/external-task/{again['id']}/complete", headers=worker,
                        json={"workerId": "w1"})
    assert twice.status_code == 409
    shown = client.get(f"/api/instances/{instance}", headers=admin).get_json()
    assert shown["data"]["sms_id"] == "M-9" and [t["name"] for t in shown["ready"]] == ["confirm"]


def test_a_lock_extended_then_expired_by_the_clock_is_fetched_again(client, token, models, clock):
    start_sms(client, token)
    worker = token("worker")
    (task,) = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH, headers=worker).get_json()
    assert client.post(f"/engine-rest/external-task/{task['id']}/extendLock", headers=worker,
                       json={"workerId": "w1", "newDuration": 60000}).status_code == 204
    clock.advance(timedelta(seconds=30))
    assert client.post("/engine-rest/external-task/fetchAndLock", json=FETCH, headers=worker).get_json() == []
    clock.advance(timedelta(seconds=31))
    (back,) = client.post("/engine-rest/external-task/fetchAndLock", json={**FETCH, "workerId": "w2"},
                          headers=worker).get_json()
    assert back["id"] == task["id"] and back["workerId"] == "w2"
    assert client.post(f"/engine-rest/external-task/{task['id']}/unlock", headers=worker).status_code == 204


def test_a_long_poll_returns_empty_when_nothing_comes_and_bad_bodies_are_400(client, token, models):
    worker = token("worker")
    waited = client.post("/engine-rest/external-task/fetchAndLock", json={**FETCH, "asyncResponseTimeout": 300},
                         headers=worker)
    assert waited.status_code == 200 and waited.get_json() == []
    assert client.post("/engine-rest/external-task/fetchAndLock", json={**FETCH, "asyncResponseTimeout": -1},
                       headers=worker).status_code == 400
    assert client.post("/engine-rest/external-task/fetchAndLock", data="[1]", content_type="application/json",
                       headers=worker).status_code == 400


def test_a_message_goes_to_the_instance_its_correlation_key_names(client, token, models):
    finance = token("finance")
    first = client.post("/api/instances", json={"process": "correlated_message", "data": {"bill_no": "A"}},
                        headers=finance).get_json()["instance"]
    second = client.post("/api/instances", json={"process": "correlated_message", "data": {"bill_no": "B"}},
                         headers=finance).get_json()["instance"]
    got = client.post("/api/messages/payment_received", json={"data": {"bill_no": "A"}}, headers=finance)
    assert got.status_code == 200 and got.get_json()["instance"] == first
    assert client.get(f"/api/instances/{second}", headers=finance).get_json()["ready"] == []
    assert client.post("/api/messages/payment_received", json={"data": {"bill_no": "Z"}},
                       headers=finance).status_code == 404


def test_supervisors_see_and_assign_the_unassigned_queue(client, token, models):
    started = client.post("/api/instances", json={"process": "unassigned_task"}, headers=token("front_desk"))
    (task,) = started.get_json()["ready"]
    assert client.get("/api/tasks?unassigned=1", headers=token("front_desk")).status_code == 403
    queue = client.get("/api/tasks?unassigned=1", headers=token("cs_manager")).get_json()
    assert [t["id"] for t in queue] == [task["id"]]


def test_the_instance_page_says_it_waits_for_an_external_program(client, token, models, auth):
    instance = start_sms(client, token)
    auth.login_as("front_desk")
    page = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert "外部系统" in page and "发送短信" in page and "等待外部程序处理（主题 <code>sms</code>）" in page


def test_a_supervisor_finds_the_unassigned_task_in_the_inbox_and_assigns_it(client, token, models, auth):
    (task,) = client.post("/api/instances", json={"process": "unassigned_task"},
                          headers=token("front_desk")).get_json()["ready"]
    auth.login_as("cs_supervisor")
    page = client.get("/inbox?unassigned=1").get_data(as_text=True)
    assert "电话回访业主" in page and "待分派" in page and 'id="filter-unassigned"' in page
    form = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'data-testid="assign-form"' in form


def test_a_bpmn_error_takes_the_error_boundary_path_in_camundas_route(client, token, web_db, clock):
    handle(web_db, deploy, actor=SYSTEM, clock=clock,
           files=[("bpmn_error.bpmn", (INTEROP / "bpmn_error.bpmn").read_bytes())])
    handle(web_db, grant_topics, actor=SYSTEM, clock=clock, name="worker", topics=["charge"])
    started = client.post("/api/instances", json={"process": "bpmn_error", "data": {}}, headers=token("finance"))
    assert started.status_code == 201, started.get_json()
    worker = token("worker")
    fetch = {"workerId": "w1", "maxTasks": 1, "topics": [{"topicName": "charge", "lockDuration": 10000}]}
    (task,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch, headers=worker).get_json()
    missing = client.post(f"/engine-rest/external-task/{task['id']}/bpmnError", headers=worker, json={"workerId": "w1"})
    assert missing.status_code == 422 and "errorCode" in missing.get_json()["fields"]
    caught = client.post(f"/engine-rest/external-task/{task['id']}/bpmnError", headers=worker,
                         json={"workerId": "w1", "errorCode": "NO_CREDIT", "errorMessage": "余额不足",
                               "variables": {"balance": {"value": 3, "type": "Integer"}}})
    assert caught.status_code == 204
    shown = client.get(f"/api/instances/{started.get_json()['instance']}", headers=token("admin")).get_json()
    assert [t["name"] for t in shown["ready"]] == ["call_owner"] and shown["data"]["refusal_reason"] == "余额不足"


def test_a_task_of_a_builtin_topic_shows_on_the_instance_page_as_the_systems_own(client, auth, web_db, clock):
    handle(web_db, deploy, actor=SYSTEM, clock=clock,
           files=[("signal_throw.bpmn", (INTEROP / "signal_throw.bpmn").read_bytes())])
    from engine.usecases.start_instance import start_instance
    from engine.usecases.tasks import complete_task
    started = handle(web_db, start_instance, actor="engineering", clock=clock, process_id="signal_throw", data={})
    handle(web_db, complete_task, actor="engineering", clock=clock, task_id=started["ready"][0]["id"], data={})
    auth.login_as("engineering")
    page = client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    assert "通知已恢复供水" in page and "由系统自动处理" in page and "等待外部程序处理" not in page
