"""Issue 13, what other engines' models throw and catch beyond messages, through the use cases:
a worker's BPMN error caught by the error boundary event on its service task (uncaught: an
incident), a signal one process throws reaching every instance that waits for it, and the built-in
topics wuye's own in-process worker serves (with retries and incidents as for any external task)."""
from __future__ import annotations

import pytest

from engine.errors import BadInput
from engine.usecases import external_tasks as et
from engine.usecases import tasks
from engine.usecases.builtin_topics import BUILTIN_TOPICS, serve_builtin_topics
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from tests.support import BPMN_DIR, act, deploy_files

INTEROP = BPMN_DIR / "interop"
T0 = "2026-11-20T09:00:00+08:00"


def events(db, instance: int) -> list[dict]:
    return act(db, history, as_="admin", instance_id=instance)


def _charge(db) -> tuple[int, dict]:
    instance = act(db, start_instance, as_="finance", at=T0, process_id="bpmn_error", data={"room": "3-2-1102"})
    (task,) = act(db, et.fetch_and_lock, as_="worker", at=T0, worker_id="w1", max_tasks=1,
                  topics=[{"topicName": "charge", "lockDuration": 60_000}])
    return instance["instance"], task


def test_a_bpmn_error_a_worker_reports_takes_the_error_boundary_path_and_else_is_an_incident(db):
    deploy_files(db, INTEROP / "bpmn_error.bpmn")
    act(db, et.grant_topics, name="worker", topics=["charge"])
    instance, task = _charge(db)
    out = act(db, et.report_bpmn_error, as_="worker", at=T0, task_id=task["id"], worker_id="w1",
              error_code="NO_CREDIT", error_message="预存款余额 12 元",
              variables={"balance": {"value": 12, "type": "Integer"}})
    assert out == {"caught_by": "no_credit", "incident": False}
    shown = act(db, show_instance, as_="admin", instance_id=instance)
    assert [t["name"] for t in shown["ready"]] == ["call_owner"]
    assert (shown["data"]["refusal_code"], shown["data"]["refusal_reason"], shown["data"]["balance"]) == \
        ("NO_CREDIT", "预存款余额 12 元", 12)
    (reported,) = [e for e in events(db, instance) if e["type"] == "external_task_bpmn_error"]
    assert (reported["actor"], reported["data"]["code"], reported["data"]["caught_by"]) == ("worker", "NO_CREDIT",
                                                                                           "no_credit")
    second, task = _charge(db)                            # a code no boundary event catches: an incident
    with pytest.raises(BadInput) as refused:              # (a code is required, named as Camunda names it)
        act(db, et.report_bpmn_error, as_="worker", at=T0, task_id=task["id"], worker_id="w1", error_code="")
    assert "errorCode" in refused.value.fields
    out = act(db, et.report_bpmn_error, as_="worker", at=T0, task_id=task["id"], worker_id="w1",
              error_code="CARD_EXPIRED")
    assert out == {"caught_by": None, "incident": True}
    (incident,) = act(db, et.list_incidents, as_="admin")
    assert incident["externalTaskId"] == task["id"] and "CARD_EXPIRED" in incident["incidentMessage"]
    kinds = [e["type"] for e in events(db, second)]
    assert kinds[-3:] == ["external_task_bpmn_error", "external_task_failed", "incident_opened"]
    assert act(db, show_instance, as_="admin", instance_id=second)["waiting"][0]["name"] == "charge"


def test_a_signal_a_process_throws_reaches_every_instance_waiting_for_it_through_the_builtin_worker(db):
    deploy_files(db, INTEROP / "signal_catch.bpmn", INTEROP / "signal_throw.bpmn")
    waiting = [act(db, start_instance, as_="front_desk", at=T0, process_id="signal_catch", data={})["instance"]
               for _ in range(2)]
    thrower = act(db, start_instance, as_="engineering", at=T0, process_id="signal_throw", data={})
    act(db, tasks.complete_task, as_="engineering", at=T0, task_id=thrower["ready"][0]["id"], data={})
    assert act(db, show_instance, as_="admin", instance_id=waiting[0])["ready"] == []   # not yet: the worker's
    done = act(db, serve_builtin_topics, as_=None, at=T0)
    assert done == [{"instance": thrower["instance"], "signal": "water_restored", "delivered_to": waiting}]
    for instance in waiting:
        assert [t["name"] for t in act(db, show_instance, as_="admin", instance_id=instance)["ready"]] == ["tell_owner"]
        (caught,) = [e for e in events(db, instance) if e["type"] == "signal_received"]
        assert caught["data"] == {"name": "water_restored", "data": {}, "thrown_by": thrower["instance"]}
    # the signal end event throws a signal nobody waits for: lost, as BPMN has it, and the thrower ends
    assert act(db, serve_builtin_topics, as_=None, at=T0) == [
        {"instance": thrower["instance"], "signal": "outage_closed", "delivered_to": []}]
    assert act(db, show_instance, as_="admin", instance_id=thrower["instance"])["status"] == "completed"
    sent = [e["data"] for e in events(db, thrower["instance"]) if e["type"] == "external_task_completed"]
    assert [d["data"] for d in sent] == [{"signal": "water_restored", "delivered_to": waiting},
                                         {"signal": "outage_closed", "delivered_to": []}]


def test_a_builtin_topic_is_done_by_wuyes_own_worker_with_retries_and_an_incident_an_admin_retries(sqlite_db):
    db = sqlite_db
    assert {t.key for t in BUILTIN_TOPICS} >= {"messages", "signals", "letters"}
    deploy_files(db, INTEROP / "builtin_letter.bpmn")
    owed = {"owner": "张三", "room": "3-2-1102", "period": "2026年", "amount_due": "1200.00", "due_date": "2026-10-31"}
    ok = act(db, start_instance, as_="finance", at=T0, process_id="builtin_letter", data=owed)["instance"]
    short = act(db, start_instance, as_="finance", at=T0, process_id="builtin_letter",
                data={**owed, "period": ""})["instance"]          # the letter cannot name the period
    done = act(db, serve_builtin_topics, as_=None, at=T0)
    assert {"instance": ok, "topic": "wuye.letter", "letter": "reminder"} in done
    assert act(db, show_instance, as_="admin", instance_id=ok)["status"] == "completed"
    (issued,) = [e for e in events(db, ok) if e["type"] == "letter_issued"]
    assert issued["data"]["kind"] == "reminder" and issued["data"]["number"].startswith("TS-2026-")
    failing = next(d for d in done if d["instance"] == short)
    assert failing["retries"] == 2 and failing["retry_in_ms"] == 60_000
    assert act(db, serve_builtin_topics, as_=None, at="2026-11-20T09:00:30+08:00") == []   # waits out the retry
    assert act(db, serve_builtin_topics, as_=None, at="2026-11-20T09:01:00+08:00")[0]["retries"] == 1
    last = act(db, serve_builtin_topics, as_=None, at="2026-11-20T09:03:00+08:00")
    assert "period" in last[0]["incident"]
    (incident,) = act(db, et.list_incidents, as_="admin")
    failed = [e for e in events(db, short) if e["type"] in ("external_task_failed", "incident_opened")]
    assert [e["actor"] for e in failed] == ["wuye-letters"] * 4
    act(db, et.set_retries, as_="admin", at="2026-11-20T09:04:00+08:00", task_id=incident["id"], retries=1)
    assert act(db, serve_builtin_topics, as_=None, at="2026-11-20T09:04:00+08:00")[0]["incident"]
    with pytest.raises(BadInput):                     # a worker outside may not be given a built-in topic
        act(db, et.grant_topics, name="worker", topics=["wuye.letter"])
