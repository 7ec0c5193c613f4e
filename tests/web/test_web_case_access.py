"""Whoever may complete a task may open it and see its case (issue 14, finding 12): fee
collection's 整改 (`rectify`) is for engineering, security and cleaning, outside the process's
lanes; engineering sees it in the inbox and opens its page and the instance. Staff with no task in
that instance still may not see it."""
from __future__ import annotations

from engine.clock import parse_instant
from tests.procedures.test_fee_collection import Fee, to_reason
from tests.support import PROCESSES, Wuye

ASKED = "2026-12-01T09:00:00+08:00"


def _rectify(web_db, clock) -> tuple[int, str]:
    w = Wuye(web_db.url)
    assert w("deploy", str(PROCESSES / "fee_collection.bpmn")).code == 0
    fee = Fee(w)
    to_reason(fee)
    fee.complete("ask_reason", "front_desk", {"reason": "电梯长期故障", "objection_valid": True}, ASKED)
    clock.set(parse_instant("2026-12-01T10:00:00+08:00"))
    return fee.id, fee.ready()["rectify"]["id"]


def test_engineering_opens_the_rectify_task_and_its_case(client, auth, web_db, clock):
    instance, task = _rectify(web_db, clock)
    auth.login_as("engineering")
    assert task in client.get("/inbox").get_data(as_text=True)
    page = client.get(f"/tasks/{task}")
    assert page.status_code == 200 and "责任部门限期整改" in page.get_data(as_text=True)
    case = client.get(f"/instances/{instance}")
    assert case.status_code == 200 and "物业收费" in case.get_data(as_text=True)
    assert client.get(f"/api/instances/{instance}").status_code == 200
    assert client.get(f"/api/instances/{instance}/history").status_code == 200


def test_a_group_with_no_task_in_the_instance_still_may_not_see_it(client, auth, web_db, clock):
    instance, task = _rectify(web_db, clock)
    auth.login_as("butler")
    assert client.get(f"/tasks/{task}").status_code == 403
    assert client.get(f"/instances/{instance}").status_code == 403
