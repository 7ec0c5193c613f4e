"""External tasks (service tasks done by workers outside wuye, Camunda 7's external-task API) through
the use cases, on SQLite and PostgreSQL: fetched and locked for a worker's own topics, failed with
retries and a retry timeout on the injectable clock, an incident at 0 retries that an admin sees,
retries and resolves, a lock that expires returning the task to the queue, typed variables checked
as a form's input, every step in the instance's history — and, with workers racing on PostgreSQL,
no task completed twice."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine.errors import BadInput, Conflict, NotPermitted
from engine.usecases import external_tasks as et
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.users import add_user
from tests.support import BPMN_DIR, act, at, deploy_files

MODEL = BPMN_DIR / "interop" / "external_task.bpmn"
T0 = "2026-11-20T09:00:00+08:00"
SMS = [{"topicName": "sms", "lockDuration": 60_000}]


@pytest.fixture
def sms(db):
    """The SMS model deployed, the demo `worker` given topic sms; a function that starts an instance."""
    deploy_files(db, MODEL)
    act(db, et.grant_topics, name="worker", topics=["sms"])

    def start(phone: str = "13800000000") -> int:
        return act(db, start_instance, as_="front_desk", at=T0, process_id="external_task",
                   data={"phone": phone})["instance"]
    return start


def fetch(db, when: str = T0, worker: str = "w1", as_: str = "worker", topics=SMS, max_tasks: int = 10):
    return act(db, et.fetch_and_lock, as_=as_, at=when, worker_id=worker, max_tasks=max_tasks, topics=topics)


def later(minutes: int) -> str:
    return (at(T0).now() + timedelta(minutes=minutes)).isoformat()


def events(db, instance: int) -> list[str]:
    return [e["type"] for e in act(db, history, as_="admin", instance_id=instance)]


def test_a_service_task_waits_as_an_external_task_until_its_worker_completes_it(db, sms):
    instance = sms()
    shown = act(db, show_instance, as_="admin", instance_id=instance)
    assert shown["ready"] == [] and shown["waiting"][0]["kind"] == "external"
    (task,) = fetch(db)
    assert task["topicName"] == "sms" and task["activityId"] == "send_sms" and task["workerId"] == "w1"
    assert task["processInstanceId"] == str(instance) and task["lockExpirationTime"].startswith("2026-11-20T09:01:00")
    assert task["variables"]["phone"] == {"type": "String", "value": "13800000000", "valueInfo": {}}
    assert fetch(db) == []                           # locked: nobody else gets it meanwhile
    act(db, et.complete_external_task, as_="worker", at=T0, task_id=task["id"], worker_id="w1",
        variables={"sms_id": {"value": "M-1", "type": "String"}, "parts": {"value": 2}})
    shown = act(db, show_instance, as_="admin", instance_id=instance)
    assert [t["name"] for t in shown["ready"]] == ["confirm"]
    assert shown["data"]["sms_id"] == "M-1" and shown["data"]["parts"] == 2
    assert events(db, instance) == ["instance_started", "external_task_created", "external_task_locked",
                                    "task_ready", "external_task_completed"]
    with pytest.raises(Conflict, match="already completed"):
        act(db, et.complete_external_task, as_="worker", at=later(1), task_id=task["id"], worker_id="w1")


def test_a_failure_with_retries_comes_back_after_its_timeout_and_at_zero_is_an_incident(db, sms):
    instance = sms()
    (task,) = fetch(db)
    act(db, et.handle_failure, as_="worker", at=T0, task_id=task["id"], worker_id="w1",
        error_message="短信网关超时", retries=1, retry_timeout=300_000)
    assert fetch(db, later(4)) == []                 # the retry timeout (5 minutes) is not over
    (again,) = fetch(db, later(6))
    assert again["retries"] == 1 and again["errorMessage"] == "短信网关超时"
    act(db, et.handle_failure, as_="worker", at=later(6), task_id=task["id"], worker_id="w1",
        error_message="短信网关拒绝", error_details="HTTP 503", retries=0)
    assert fetch(db, later(60)) == []                # an incident is nobody's to fetch
    (incident,) = act(db, et.list_incidents, as_="admin")
    assert incident["externalTaskId"] == task["id"] and incident["incidentMessage"] == "短信网关拒绝"
    with pytest.raises(NotPermitted):
        act(db, et.list_incidents, as_="front_desk")
    act(db, et.set_retries, as_="admin", at=later(61), task_id=task["id"], retries=2)
    assert act(db, et.list_incidents, as_="admin") == []
    (third,) = fetch(db, later(62))
    act(db, et.complete_external_task, as_="worker", at=later(62), task_id=third["id"], worker_id="w1")
    assert [t["name"] for t in act(db, show_instance, as_="admin", instance_id=instance)["ready"]] == ["confirm"]
    assert events(db, instance)[2:] == ["external_task_locked", "external_task_failed", "external_task_locked",
                                        "external_task_failed", "incident_opened", "external_task_retries_set",
                                        "external_task_locked", "task_ready", "external_task_completed"]


def test_an_admin_resolves_an_incident_by_doing_the_work_by_hand(db, sms):
    instance = sms()
    (task,) = fetch(db)
    act(db, et.handle_failure, as_="worker", at=T0, task_id=task["id"], worker_id="w1", error_message="x", retries=0)
    with pytest.raises(NotPermitted):
        act(db, et.resolve_incident, as_="cs_supervisor", task_id=task["id"], variables={})
    act(db, et.resolve_incident, as_="admin", at=later(5), task_id=task["id"],
        variables={"sms_id": {"value": "by hand"}})
    shown = act(db, show_instance, as_="admin", instance_id=instance)
    assert shown["data"]["sms_id"] == "by hand" and [t["name"] for t in shown["ready"]] == ["confirm"]
    assert "incident_resolved" in events(db, instance)


def test_an_expired_lock_returns_the_task_to_the_queue_and_its_old_holder_may_not_complete_it(db, sms):
    sms()
    act(db, add_user, as_="admin", name="worker2", groups=["worker"], password="worker2")
    act(db, et.grant_topics, name="worker2", topics=["sms"])
    (task,) = fetch(db)
    act(db, et.extend_lock, as_="worker", at=later(0), task_id=task["id"], worker_id="w1", new_duration=120_000)
    assert fetch(db, later(1), worker="w2", as_="worker2") == []       # extended to 09:02
    (taken,) = fetch(db, later(3), worker="w2", as_="worker2")
    assert taken["id"] == task["id"] and taken["workerId"] == "w2"
    with pytest.raises(Conflict, match="not locked by worker w1"):
        act(db, et.complete_external_task, as_="worker", at=later(3), task_id=task["id"], worker_id="w1")
    act(db, et.unlock_external_task, as_="worker2", at=later(4), task_id=task["id"])
    (back,) = fetch(db, later(4))
    assert back["workerId"] == "w1"


def test_a_worker_fetches_only_the_topics_it_is_given_and_people_fetch_none(db, sms):
    sms()
    with pytest.raises(NotPermitted, match="not given topic mail"):
        fetch(db, topics=[{"topicName": "mail", "lockDuration": 1000}])
    with pytest.raises(NotPermitted, match="worker group"):
        fetch(db, as_="front_desk")
    with pytest.raises(BadInput) as bad:
        fetch(db, topics=[{"topicName": "sms", "lockDuration": -5}])
    assert "topics[0].lockDuration" in bad.value.fields


def test_variables_are_checked_as_a_persons_input_is_and_nothing_is_kept_of_a_refusal(db, sms):
    instance = sms()
    (task,) = fetch(db)
    for variables, field in (({"sms_id": {"value": 3, "type": "String"}}, "variables.sms_id"),
                             ({"blob": {"value": "rO0AB", "type": "Object"}}, "variables.blob"),
                             ({"__class__": {"value": 1}}, "variables.__class__")):
        with pytest.raises(BadInput) as bad:
            act(db, et.complete_external_task, as_="worker", at=T0, task_id=task["id"], worker_id="w1",
                variables=variables)
        assert field in bad.value.fields
    assert act(db, show_instance, as_="admin", instance_id=instance)["waiting"][0]["kind"] == "external"
    assert "external_task_completed" not in events(db, instance)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_workers_racing_for_the_same_tasks_never_complete_one_twice(db, sms):
    instances = [sms(f"1380000{i:04d}") for i in range(12)]
    workers = ["worker"]
    for n in range(2, 5):
        act(db, add_user, as_="admin", name=f"worker{n}", groups=["worker"], password=f"worker{n}")
        act(db, et.grant_topics, name=f"worker{n}", topics=["sms"])
        workers.append(f"worker{n}")
    done: list[tuple[str, str]] = []
    conflicts: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def work(user: str) -> None:
        try:
            start.wait()
            while True:
                got = fetch(db, worker=user, as_=user, max_tasks=2)
                if not got:
                    return
                for task in got:
                    for _ in range(2):          # and try once more, as a worker whose reply got lost would
                        try:
                            act(db, et.complete_external_task, as_=user, at=T0, task_id=task["id"], worker_id=user)
                            done.append((task["id"], user))
                        except Conflict as e:
                            conflicts.append(e.message)
        except BaseException as e:  # noqa: BLE001 -- reported by the test below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(u,)) for u in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(done) == len({task for task, _ in done}) == len(instances)
    assert len(conflicts) == len(instances)          # every second try was refused
    for instance in instances:
        assert events(db, instance).count("external_task_completed") == 1
