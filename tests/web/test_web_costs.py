"""What a page costs the database: counted on the app's real engine (SQLAlchemy's ``begin`` event
for every transaction, ``before_cursor_execute`` for every statement), not on a mock.

A task page, the inbox and an instance page are one read each and never load a workflow (they read
the projections the step writes); a task submission is one transaction and its confirmation one
read; an instance stepped before those projections existed is loaded once and shown the same; a
bearer token is one indexed lookup; a session whose user was deactivated is signed out."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event, text

from tests.web.conftest import csrf_token

# the deferred state column, read only when a workflow is loaded from the database
STATE_READ = re.compile(r"SELECT instances\.state\b")
CSRF = re.compile(r'(name="csrf[-_]token"[^>]*(?:content|value)=")[^"]+')


@dataclass
class Seen:
    transactions: int = 0
    statements: list[tuple[str, object]] = field(default_factory=list)

    @property
    def workflow_loads(self) -> int:
        return sum(1 for sql, _ in self.statements if STATE_READ.search(sql))


@contextmanager
def watching(db):
    seen = Seen()

    def begun(conn):
        seen.transactions += 1

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen.statements.append((sql, parameters))
    event.listen(db.engine, "begin", begun)
    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(db.engine, "begin", begun)
        event.remove(db.engine, "before_cursor_execute", statement)


def test_a_task_page_is_one_read_and_loads_no_workflow(client, auth, steps, web_db):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    with watching(web_db) as seen:
        resp = client.get(f"/tasks/{repair['id']}")
    assert resp.status_code == 200 and "上门维修" in resp.get_data(as_text=True)
    assert (seen.transactions, seen.workflow_loads) == (1, 0)


def test_a_submission_is_one_transaction_and_its_confirmation_one_read(client, auth, steps, web_db):
    _, repair = steps.to_repair()
    auth.login_as("demo")
    token = csrf_token(client, "/inbox")
    with watching(web_db) as seen:
        resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": token, "hours": "5"})
    assert resp.status_code == 302
    assert seen.transactions == 1 and seen.workflow_loads <= 1
    with watching(web_db) as seen:
        html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "「上门维修」已完成" in html and 'data-testid="next-task"' in html
    assert (seen.transactions, seen.workflow_loads) == (1, 0)


def test_the_inbox_and_the_instance_page_are_one_read_each_and_load_no_workflow(client, auth, steps, web_db):
    instance, _ = steps.to_repair()
    auth.login_as("engineering")
    for path in ("/inbox", "/inbox/fragment", f"/instances/{instance}", "/instances", "/start"):
        with watching(web_db) as seen:
            assert client.get(path).status_code == 200, path
        assert (seen.transactions, seen.workflow_loads) == (1, 0), path


TWO_STEPS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_note" targetNamespace="http://wuye.example/test">
  <bpmn:process id="note_check" name="备注复核" isExecutable="true" camunda:candidateStarterGroups="front_desk">
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="room" label="房号" type="string"/>
        <camunda:formField id="note" label="备注" type="string"/>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="check" name="复核备注" camunda:candidateGroups="front_desk">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="note" label="备注" type="string"/>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()


def _forget_projections(db, instance: int) -> None:
    """What an instance last stepped before migration 0004 looks like: the projection columns NULL."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE instances SET data = NULL, waiting = NULL, diagram = NULL WHERE id = :i"),
                     {"i": instance})
        conn.execute(text('UPDATE tasks SET "values" = NULL WHERE instance_id = :i'), {"i": instance})


def test_an_instance_stepped_before_the_projections_is_loaded_once_and_shown_the_same(client, auth, steps, web_db):
    from engine.usecases.deploy import deploy
    from engine.usecases.start_instance import start_instance
    steps.call(deploy, None, files=[("note_check.bpmn", TWO_STEPS)])
    started = steps.call(start_instance, "front_desk", process_id="note_check",
                         data={"room": "3-2-1102", "note": "业主下午在家"})
    instance, task_id = started["instance"], started["ready"][0]["id"]
    repair_instance, repair = steps.to_repair()
    auth.login_as("demo")
    pages = [f"/api/instances/{instance}", f"/tasks/{task_id}", f"/instances/{repair_instance}",
             f"/api/instances/{repair_instance}", f"/tasks/{repair['id']}"]
    def page(path: str) -> str:           # a CSRF token is signed anew each time
        return CSRF.sub(r"\1…", client.get(path).get_data(as_text=True))
    before = {p: page(p) for p in pages}
    assert 'value="业主下午在家"' in before[f"/tasks/{task_id}"]            # the task's value, from its data
    assert '"kind":"timer"' in before[f"/api/instances/{repair_instance}"].replace(" ", "")
    _forget_projections(web_db, instance)
    _forget_projections(web_db, repair_instance)
    for path in pages:
        with watching(web_db) as seen:
            assert page(path) == before[path], path
        assert seen.workflow_loads == 1, path


def test_a_bearer_token_is_resolved_by_one_indexed_lookup(client, web_db):
    token = client.post("/api/login", json={"username": "front_desk", "password": "front_desk"}).get_json()["token"]
    with watching(web_db) as seen:
        resp = client.get("/api/processes", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    lookups = [(sql, p) for sql, p in seen.statements if "api_tokens" in sql]
    assert len(lookups) == 1
    assert not [sql for sql, _ in seen.statements                    # nor a second one for the user or groups
                if "api_tokens" not in sql and re.search(r"\b(users|user_groups)\b", sql)]
    sql, parameters = lookups[0]
    with web_db.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters))
    assert re.search(r"SEARCH api_tokens USING (INDEX|PRIMARY KEY)", plan), plan


def _deactivate(db, name: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET active = :no WHERE name = :name"), {"no": False, "name": name})


def test_a_user_deactivated_since_signing_in_is_signed_out_at_the_next_request(client, auth, web_db):
    auth.login_as("front_desk")
    assert client.get("/inbox").status_code == 200
    _deactivate(web_db, "front_desk")
    resp = client.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert client.get("/api/tasks").status_code == 401               # the session is gone, not just refused
    assert auth.login("front_desk").status_code == 200              # and no new one: the login page again


def test_a_token_of_a_deactivated_user_is_refused(client, web_db):
    token = client.post("/api/login", json={"username": "butler", "password": "butler"}).get_json()["token"]
    _deactivate(web_db, "butler")
    resp = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and "令牌无效" in resp.get_json()["error"]
