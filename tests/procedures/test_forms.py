"""tests/bpmn/form_check.bpmn deployed and run through `wuye`: the task's form as the CLI lists it, a
refused submission naming each field, and the values the workflow receives converted (the rules
themselves: tests/unit/test_forms.py)."""
from __future__ import annotations

from tests.support import BPMN_DIR, Wuye

FILE = BPMN_DIR / "form_check.bpmn"


def test_through_the_cli_the_workflow_receives_converted_values(sqlite_db):
    w = Wuye(sqlite_db.url)
    assert w("deploy", str(FILE)).code == 0
    started = w("start", "form_check", "--as", "front_desk", now="2026-11-20T09:00:00+08:00").json
    (task,) = started["ready"]
    assert {f["id"]: f["type"] for f in task["form"]} == {
        "owner": "string", "note": "string", "visits": "long", "area": "double", "paid": "boolean",
        "visit_on": "date", "received_at": "date", "category": "enum", "ticket": "string"}
    bad = w("complete", task["id"], "--as", "front_desk", "--data", '{"owner": "王", "visits": "x"}')
    assert bad.code == 2
    assert "owner: 至少 2 个字 (At least 2 characters)" in bad.err and "visits: 请输入整数" in bad.err
    answers = ('{"owner": "李雷", "visits": "3", "area": "88.5", "paid": "是", "visit_on": "2026-11-23",'
               ' "category": "complaint"}')
    done = w("complete", task["id"], "--as", "front_desk", "--data", answers, now="2026-11-20T09:30:00+08:00")
    assert done.code == 0, done.err
    data = w("show", str(started["instance"])).json["data"]
    assert (data["owner"], data["visits"], data["area"], data["paid"], data["visit_on"], data["category"]) == \
        ("李雷", 3, 88.5, True, "2026-11-23", "complaint")
    assert data["received_at"] == "2026-11-20T09:30:00+08:00"
