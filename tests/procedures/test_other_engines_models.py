"""BPMN as other engines write it (issue 13): each habit of Camunda, Flowable or bpmn.io models has
a small model of its own in tests/bpmn/interop, and is either run as that engine runs it or refused
at deploy with a reason a process owner can act on — never run wrongly without a word, never a
traceback, never a refusal that leaks Python's own words."""
from __future__ import annotations

import json
import re

import pytest

from tests.support import BPMN_DIR

INTEROP = BPMN_DIR / "interop"
# what a refusal must never show: Python's exception names and reprs, lxml's elements, Clark tags
LEAKS = re.compile(r"Traceback|KeyError|IndexError|TypeError|AttributeError|<Element |0x[0-9a-f]{6,}|\{http")


def deployed(wuye, *names: str):
    r = wuye("deploy", *[str(INTEROP / n) for n in names])
    assert r.code == 0, r.err
    return r.json


def refused(wuye, *names: str) -> str:
    r = wuye("deploy", *[str(INTEROP / n) for n in names])
    assert r.code == 2, r.out
    assert r.out == "" and not LEAKS.search(r.err), r.err
    return r.err


def ready_names(result) -> list[str]:
    return sorted(t["name"] for t in result.json["ready"])


# -- wrong without a word ---------------------------------------------------------------------------

def test_sequence_flows_without_ids_are_given_ids_and_the_instance_follows_them(wuye):
    deployed(wuye, "flow_without_id.bpmn")
    started = wuye("start", "flow_without_id", "--as", "front_desk")
    assert started.json["status"] == "running" and ready_names(started) == ["check"]
    shown = wuye("show", str(started.json["instance"])).json
    assert shown["data"]["noted"] is True                   # the script between them ran too
    done = wuye("complete", started.json["ready"][0]["id"], "--as", "front_desk")
    assert done.json["status"] == "completed"


def test_a_receive_task_without_a_message_waits_until_a_message_named_after_it_arrives(wuye):
    deployed(wuye, "receive_without_message.bpmn")
    started = wuye("start", "receive_without_message", "--as", "archivist")
    assert started.json["ready"] == [] and started.json["status"] == "running"
    instance = str(started.json["instance"])
    assert {"name": "wait_receipt", "kind": "message"} in wuye("show", instance).json["waiting"]
    got = wuye("message", "wait_receipt", "--instance", instance, "--as", "archivist", "--data", '{"signed": true}')
    assert got.code == 0, got.err
    assert ready_names(got) == ["file"]


def test_juel_in_a_loop_cardinality_and_a_conditional_event_is_translated_and_runs(wuye):
    deployed(wuye, "juel_loop.bpmn")
    started = wuye("start", "juel_loop", "--as", "butler", "--data", '{"nrOfVisits": 2}')
    assert started.code == 0, started.err
    result = started
    for _ in range(2):
        (visit,) = result.json["ready"]
        assert visit["name"] == "visit"
        result = wuye("complete", visit["id"], "--as", "butler")
        assert result.code == 0, result.err
    assert result.json["status"] == "completed"          # ${true}: the conditional event let it through


@pytest.mark.once
def test_juel_a_loop_cardinality_cannot_run_in_is_refused_by_line(wuye, tmp_path):
    text = (INTEROP / "juel_loop.bpmn").read_text(encoding="utf-8").replace("${nrOfVisits}",
                                                                             "${execution.getVariable('n')}")
    (tmp_path / "bean_loop.bpmn").write_text(text, encoding="utf-8")
    r = wuye("deploy", str(tmp_path / "bean_loop.bpmn"))
    assert r.code == 2 and "bean_loop.bpmn:7: visit: 循环次数 (loop cardinality)" in r.err, r.err


@pytest.mark.once
def test_a_literal_expression_decision_and_a_decision_service_are_refused_with_the_reason(wuye):
    err = refused(wuye, "literal_decision.dmn", "literal_call.bpmn")
    assert "literal_decision.dmn:6: late_fee: 决策 late_fee 不是决策表 (literalExpression)" in err
    assert "rewrite it as a decision table" in err
    assert "no decision table" in refused(wuye, "decision_service.dmn")


# -- crashes ---------------------------------------------------------------------------------------

def test_a_correlated_message_deploys_and_goes_to_the_instance_its_key_names(wuye):
    deployed(wuye, "correlated_message.bpmn")
    first = wuye("start", "correlated_message", "--as", "finance", "--data", '{"bill_no": "B-1"}').json["instance"]
    second = wuye("start", "correlated_message", "--as", "finance", "--data", '{"bill_no": "B-2"}').json["instance"]
    got = wuye("message", "payment_received", "--as", "finance", "--data", '{"bill_no": "B-2", "amount": 300}')
    assert got.code == 0, got.err
    assert got.json["instance"] == second and ready_names(got) == ["confirm"]
    assert wuye("show", str(first)).json["ready"] == []
    assert wuye("show", str(second)).json["data"]["payment_received"] == {"bill_no": "B-2", "amount": 300}
    nobody = wuye("message", "payment_received", "--as", "finance", "--data", '{"bill_no": "B-9"}')
    assert nobody.code == 4 and "correlation key" in nobody.err
    keyless = wuye("message", "payment_received", "--as", "finance", "--data", '{"amount": 1}')
    assert keyless.code == 2 and "bill_no" in keyless.err


def test_a_message_one_instance_throws_goes_to_the_instance_of_another_process_its_key_names(wuye):
    deployed(wuye, "correlated_message.bpmn", "throws_payment.bpmn")
    waiting = {bill: wuye("start", "correlated_message", "--as", "finance", "--data", json.dumps({"bill_no": bill}))
               .json["instance"] for bill in ("B-1", "B-2")}
    cashier = wuye("start", "throws_payment", "--as", "finance").json
    paid = wuye("complete", cashier["ready"][0]["id"], "--as", "finance", "--data", '{"bill_no": "B-2", "amount": 300}')
    assert paid.code == 0, paid.err
    assert wuye("show", str(cashier["instance"])).json["status"] == "running"    # the throw waits for the worker
    delivered = wuye("messages")
    assert delivered.code == 0, delivered.err
    assert delivered.json == [{"instance": cashier["instance"], "message": "payment_received",
                               "delivered_to": waiting["B-2"]}]
    assert wuye("show", str(cashier["instance"])).json["status"] == "completed"
    receiver = wuye("show", str(waiting["B-2"])).json
    assert [t["name"] for t in receiver["ready"]] == ["confirm"]
    assert receiver["data"]["payment_received"]["amount"] == 300
    assert wuye("show", str(waiting["B-1"])).json["ready"] == []
    told = [e for e in wuye("history", str(cashier["instance"])).json if e["type"] == "external_task_completed"]
    assert told and told[-1]["actor"] == "system"
    assert wuye("messages").json == []                                           # delivered once


def test_a_thrown_message_no_instance_waits_for_becomes_an_incident_an_admin_retries(wuye):
    deployed(wuye, "correlated_message.bpmn", "throws_payment.bpmn")
    cashier = wuye("start", "throws_payment", "--as", "finance").json
    wuye("complete", cashier["ready"][0]["id"], "--as", "finance", "--data", '{"bill_no": "B-7", "amount": 50}')
    failed = wuye("messages").json
    assert len(failed) == 1 and "correlation key" in failed[0]["incident"]
    incidents = wuye("incident", "list", "--as", "admin").json
    assert [i["processInstanceId"] for i in incidents] == [str(cashier["instance"])]
    assert wuye("messages").json == []                                           # an incident waits for an admin
    bill = wuye("start", "correlated_message", "--as", "finance", "--data", '{"bill_no": "B-7"}').json["instance"]
    assert wuye("incident", "retry", incidents[0]["externalTaskId"], "--retries", "1", "--as", "admin").code == 0
    assert wuye("messages").json[0]["delivered_to"] == bill
    assert wuye("show", str(cashier["instance"])).json["status"] == "completed"


def test_a_signal_reaches_every_instance_waiting_for_it_and_only_those(wuye):
    deployed(wuye, "signal_catch.bpmn")
    first, second = (wuye("start", "signal_catch", "--as", "front_desk").json["instance"] for _ in range(2))
    assert wuye("show", str(first)).json["ready"] == []                       # a wait state
    sent = wuye("signal", "water_restored", "--as", "front_desk", "--data", '{"restored_at": "14:00"}')
    assert sent.code == 0, sent.err
    assert sent.json == {"signal": "water_restored", "instances": [first, second]}
    for instance in (first, second):
        shown = wuye("show", str(instance)).json
        assert [t["name"] for t in shown["ready"]] == ["tell_owner"]
        assert shown["data"]["water_restored"] == {"restored_at": "14:00"}
        assert "signal_received" in [e["type"] for e in wuye("history", str(instance)).json]
    assert wuye("signal", "water_restored", "--as", "front_desk").json["instances"] == []   # nobody waits now
    assert wuye("signal", "no_such_signal", "--as", "front_desk").code == 4
    refused_signal = wuye("signal", "water_restored", "--as", "engineering")
    assert refused_signal.code == 3 and "signal_catch" in refused_signal.err


@pytest.mark.once
def test_a_decision_table_spiffworkflow_cannot_read_is_refused_without_its_exception_text(wuye, tmp_path):
    text = (INTEROP / "priority.dmn").read_text(encoding="utf-8").replace('<inputEntry id="e1">', "<inputEntry>")
    (tmp_path / "priority.dmn").write_text(text, encoding="utf-8")
    r = wuye("deploy", str(tmp_path / "priority.dmn"), str(INTEROP / "priority_call.bpmn"))
    assert r.code == 2 and not LEAKS.search(r.err), r.err
    assert "priority_call.bpmn:6: rate: " in r.err and "缺少属性 id" in r.err


# -- policy a mature engine relaxes ------------------------------------------------------------------

def test_a_task_nobody_is_named_for_waits_in_the_unassigned_queue_for_a_supervisor(wuye):
    out = deployed(wuye, "unassigned_task.bpmn")
    (warning,) = out["warnings"]
    assert warning.startswith("unassigned_task.bpmn:6: call_back: ") and "unassigned queue" in warning
    started = wuye("start", "unassigned_task", "--as", "front_desk")
    (task,) = started.json["ready"]
    assert task["candidate_groups"] == [] and task["assignee"] is None
    assert wuye("tasks", "--as", "front_desk").json == []
    assert wuye("complete", task["id"], "--as", "front_desk").code == 3      # its permissions still hold
    assert wuye("tasks", "--as", "front_desk", "--unassigned").code == 3
    queue = wuye("tasks", "--as", "cs_supervisor", "--unassigned").json
    assert [t["id"] for t in queue] == [task["id"]]
    assert wuye("assign", task["id"], "--to", "butler", "--as", "cs_supervisor").code == 0
    assert wuye("tasks", "--as", "cs_supervisor", "--unassigned").json == []
    assert wuye("complete", task["id"], "--as", "front_desk").code == 3
    assert wuye("complete", task["id"], "--as", "butler").json["status"] == "completed"


def test_a_plain_task_passes_straight_through(wuye):
    deployed(wuye, "plain_task.bpmn")
    started = wuye("start", "plain_task", "--as", "front_desk")
    assert ready_names(started) == ["check"]
    diagram = wuye("show", str(started.json["instance"])).json
    assert diagram["status"] == "running"


def test_several_outgoing_flows_of_a_task_are_an_implicit_split(wuye):
    deployed(wuye, "implicit_split.bpmn")
    for night, expected in ((False, ["clean", "repair"]), (True, ["clean", "guard", "repair"])):
        started = wuye("start", "implicit_split", "--as", "dispatcher", "--data", json.dumps({"night": night}))
        (dispatch,) = started.json["ready"]
        split = wuye("complete", dispatch["id"], "--as", "dispatcher")
        assert split.code == 0, split.err
        assert ready_names(split) == expected


def test_a_process_without_is_executable_is_refused_saying_why_and_how_to_fix_it(wuye):
    err = refused(wuye, "not_executable.bpmn")
    assert "not_executable.bpmn:3: not_executable: " in err
    assert "未标记为可执行" in err and 'isExecutable="true"' in err and "Executable" in err


def test_a_caller_deployed_before_its_callee_is_refused_then_runs_once_the_callee_is_there(wuye):
    err = refused(wuye, "caller.bpmn")
    assert "caller.bpmn:6: call_visit: 被调用的流程 callee_visit 没有已部署的任何版本" in err
    deployed(wuye, "callee.bpmn")
    deployed(wuye, "caller.bpmn")
    started = wuye("start", "caller", "--as", "front_desk")
    assert ready_names(started) == ["visit"]
    done = wuye("complete", started.json["ready"][0]["id"], "--as", "butler")
    assert done.json["status"] == "completed"


@pytest.mark.once
def test_a_caller_and_its_callee_deploy_together_in_either_order(wuye):
    assert set(deployed(wuye, "caller.bpmn", "callee.bpmn")["deployed"][0]) >= {"id"}
    out = wuye("deploy", str(INTEROP / "callee.bpmn"), str(INTEROP / "caller.bpmn"))
    assert out.code == 0, out.err


def test_a_caller_bound_to_the_latest_callee_calls_each_new_version_from_then_on(wuye, tmp_path):
    deployed(wuye, "callee.bpmn", "caller.bpmn")
    before = wuye("start", "caller", "--as", "front_desk").json
    v2 = (INTEROP / "callee.bpmn").read_text(encoding="utf-8").replace('name="管家回访"', 'name="管家回访 v2"')
    (tmp_path / "callee.bpmn").write_text(v2, encoding="utf-8")
    out = {d["id"]: d for d in wuye("deploy", str(tmp_path / "callee.bpmn")).json["deployed"]}
    assert out["callee_visit"]["version"] == 2 and out["caller"] == {**out["caller"], "version": 2, "new": True}
    after = wuye("start", "caller", "--as", "front_desk").json
    assert [t["title"] for t in after["ready"]] == ["管家回访 v2"]
    (old,) = wuye("show", str(before["instance"])).json["ready"]          # a running instance keeps its own
    assert old["title"] == "管家回访" and wuye("complete", old["id"], "--as", "butler").json["status"] == "completed"


def test_a_pinned_callee_version_is_the_one_called(wuye, tmp_path):
    deployed(wuye, "callee.bpmn")
    v2 = (INTEROP / "callee.bpmn").read_text(encoding="utf-8").replace('name="管家回访"', 'name="管家回访 v2"')
    (tmp_path / "callee.bpmn").write_text(v2, encoding="utf-8")
    assert wuye("deploy", str(tmp_path / "callee.bpmn")).json["deployed"][0]["version"] == 2
    pinned = (INTEROP / "caller.bpmn").read_text(encoding="utf-8").replace(
        'calledElement="callee_visit"',
        'calledElement="callee_visit" camunda:calledElementBinding="version" camunda:calledElementVersion="1"')
    (tmp_path / "caller.bpmn").write_text(pinned, encoding="utf-8")
    assert wuye("deploy", str(tmp_path / "caller.bpmn")).code == 0
    started = wuye("start", "caller", "--as", "front_desk")
    (visit,) = started.json["ready"]
    assert visit["title"] == "管家回访"                       # version 1's, not the latest's
    missing = pinned.replace('camunda:calledElementVersion="1"', 'camunda:calledElementVersion="7"')
    (tmp_path / "caller.bpmn").write_text(missing, encoding="utf-8")
    r = wuye("deploy", str(tmp_path / "caller.bpmn"))
    assert r.code == 2 and "没有已部署的版本 7" in r.err


@pytest.mark.once
def test_a_pinned_or_deployment_bound_caller_keeps_its_callee_when_a_new_callee_is_deployed(wuye, tmp_path):
    source = (INTEROP / "caller.bpmn").read_text(encoding="utf-8")
    for binding in ('camunda:calledElementBinding="version" camunda:calledElementVersion="1"',
                    'camunda:calledElementBinding="deployment"'):
        bound = source.replace('calledElement="callee_visit"', f'calledElement="callee_visit" {binding}')
        (tmp_path / "caller.bpmn").write_text(bound, encoding="utf-8")
        out = wuye("deploy", str(tmp_path / "caller.bpmn"), str(INTEROP / "callee.bpmn"))    # caller first
        assert out.code == 0, out.err
    v2 = (INTEROP / "callee.bpmn").read_text(encoding="utf-8").replace('name="管家回访"', 'name="管家回访 v2"')
    (tmp_path / "callee.bpmn").write_text(v2, encoding="utf-8")
    out = {d["id"]: d for d in wuye("deploy", str(tmp_path / "callee.bpmn")).json["deployed"]}
    assert out["callee_visit"]["version"] == 2 and "caller" not in out       # the caller is not rebuilt
    started = wuye("start", "caller", "--as", "front_desk").json
    assert [t["title"] for t in started["ready"]] == ["管家回访"]             # still the callee it was deployed with
    assert wuye("complete", started["ready"][0]["id"], "--as", "butler").json["status"] == "completed"


def test_priority_and_output_order_tables_rank_by_their_output_values(wuye):
    deployed(wuye, "priority.dmn", "priority_call.bpmn")
    for data, level, teams in (({"kind": "water", "floor": 25}, "urgent", ["security", "engineering", "cleaning"]),
                               ({"kind": "water", "floor": 3}, "high", ["security", "engineering", "cleaning"]),
                               ({"kind": "gas", "floor": 1}, "normal", ["cleaning"])):
        started = wuye("start", "priority_call", "--as", "dispatcher", "--data", json.dumps(data))
        shown = wuye("show", str(started.json["instance"])).json["data"]
        assert (shown["level"], shown["teams"]) == (level, teams), data


def test_message_throw_and_end_events_send_their_message_through_a_worker(wuye):
    from engine.usecases import external_tasks as et
    from tests.support import act, database
    deployed(wuye, "message_throw.bpmn")
    db = database(wuye.url)
    try:
        act(db, et.grant_topics, name="worker", topics=["fee_notice", "close_notice"])
        started = wuye("start", "message_throw", "--as", "finance", "--data", '{"room": "1-101"}')
        assert started.code == 0, started.err            # it used to fail at every start
        instance = str(started.json["instance"])
        for topic, element in (("fee_notice", "notify_owner"), ("close_notice", "closed")):
            (waiting,) = wuye("show", instance).json["waiting"]
            assert (waiting["kind"], waiting["topic"], waiting["name"]) == ("external", topic, element)
            (task,) = act(db, et.fetch_and_lock, as_="worker", worker_id="w", max_tasks=1,
                          topics=[{"topicName": topic, "lockDuration": 60_000}])
            assert task["variables"]["room"]["value"] == "1-101"
            act(db, et.complete_external_task, as_="worker", task_id=task["id"], worker_id="w")
    finally:
        db.dispose()
    assert wuye("show", instance).json["status"] == "completed"


@pytest.mark.once
def test_a_java_implementation_is_refused_with_the_external_task_way_out(wuye):
    err = refused(wuye, "java_service.bpmn")
    assert "java_service.bpmn:6: charge: " in err and "use an external task with topic charge" in err
    assert "java_service.bpmn:8: notify: " in err and 'camunda:topic="notify"' in err
