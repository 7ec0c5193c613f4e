"""The CLI drives a process with forms, a boundary timer, a gateway and a message from start to end."""
from tests.support import BPMN_DIR


def test_a_visit_request_runs_from_start_to_end_through_the_cli(wuye):
    assert wuye("deploy", str(BPMN_DIR / "leave_request.bpmn")).code == 0
    started = wuye("start", "visit_request", "--as", "front_desk", "--data", '{"room": "3-2-1102"}',
                   now="2026-11-20T09:00:00+08:00")
    assert started.code == 0, started.err
    instance = started.json["instance"]
    (register,) = started.json["ready"]
    assert register["name"] == "register" and register["lane"] == "front_desk"

    done = wuye("complete", register["id"], "--as", "front_desk", "--data", '{"content": "厨房水管漏水"}',
                now="2026-11-20T09:05:00+08:00")
    assert done.code == 0, done.err
    (repair,) = done.json["ready"]
    assert repair["due_at"] == "2026-11-20T11:00:00+08:00"     # 2 working hours from 09:00

    done = wuye("complete", repair["id"], "--as", "engineering", "--data", '{"hours": "5"}',
                now="2026-11-20T10:00:00+08:00")
    (approve,) = done.json["ready"]                               # 5 h * 50 = 250 > 200
    assert approve["name"] == "approve"
    done = wuye("complete", approve["id"], "--as", "cs_supervisor", "--data", '{"approved": true}',
                now="2026-11-20T10:30:00+08:00")
    assert done.json["status"] == "running" and done.json["ready"] == []
    shown = wuye("show", str(instance))
    assert {"name": "owner_cancelled", "kind": "message"} in shown.json["waiting"]
    assert shown.json["data"]["cost"] == 250

    msg = wuye("message", "owner_cancelled", "--instance", str(instance), "--as", "front_desk",
               "--data", '{"reason": "不修了"}', now="2026-11-20T11:30:00+08:00")
    assert msg.code == 0, msg.err
    assert msg.json["status"] == "completed"
    assert wuye("timers", now="2026-11-21T11:30:00+08:00").json == []    # the timer was cancelled
    types = [e["type"] for e in wuye("history", str(instance)).json]
    assert types[0] == "instance_started" and types[-1] == "instance_completed"
    assert types.count("task_completed") == 3 and "message_delivered" in types
    assert wuye("audit", "verify").json["ok"] is True
