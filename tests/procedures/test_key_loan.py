"""钥匙借用 (procedures.md §7, M3 第3篇 钥匙管理作业规程): a spare key lent with the borrowing
department's supervisor's consent (an outside loan the property manager's), back by the end of the
shift (KL1, the supervisor explains a late return), a lost key confirmed by the supervisor, the lock
changed and charged to whoever lost it."""
from __future__ import annotations

import pytest

from engine.clock import parse_instant
from engine.errors import BadInput
from tests.procedures.walk import SECOND, Walk
from tests.support import deployed_meta

LOAN = {"borrower": "刘工", "borrower_dept": "engineering", "contact": "13700000001", "key_no": "B2-03",
        "key_name": "地下二层水泵房", "quantity": 1, "purpose": "水泵房例行检修",
        "return_by": "2026-11-03T17:30:00+08:00"}
APPROVED = {"approved": True, "approver": "工程部王主管"}
RETURNED = {"return_status": "returned", "returned_quantity": 1, "received_by": "前台小李"}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "key_loan.bpmn")


def lent(walk: Walk, **extra) -> int:
    i = walk.start("key_loan", {**LOAN, **extra})
    walk.work(i, "approve", APPROVED)
    walk.work(i, "lend", {"handed_quantity": 1})
    return i


def test_key_loan_deploys_with_the_supervisor_lane_and_the_shift_deadline(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "key_loan")
    assert meta["name"] == "钥匙借用" and meta["start_groups"] == ["front_desk"]
    assert list(meta["lanes"]) == ["front_desk", "dept_supervisor", "cs_manager", "finance"]
    deadlines = {el["properties"].get("deadline") for el in meta["elements"].values() if el["type"] == "boundaryEvent"}
    assert deadlines == {"KL1"}


def test_a_loan_approved_by_the_department_supervisor_and_returned_in_the_shift_closes_clean(walk):
    i = walk.start("key_loan", LOAN)
    assert walk.ready(i)["approve"]["lane"] == "dept_supervisor"
    walk.work(i, "approve", APPROVED)
    walk.work(i, "lend", {"handed_quantity": 1, "lend_note": "钥匙完好"})
    assert set(walk.ready(i)) == {"give_back"} and walk.show(i)["data"]["lent_at"] == "2026-11-03T10:00:00+08:00"
    walk.set("2026-11-03T16:00:00+08:00")
    walk.work(i, "give_back", RETURNED)
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["violations"] == []


def test_a_refused_loan_hands_out_no_key(walk):
    i = walk.start("key_loan", LOAN)
    walk.work(i, "approve", {"approved": False, "approver": "工程部王主管", "approval_note": "另派人员"})
    assert walk.show(i)["status"] == "completed" and "lent_at" not in walk.show(i)["data"]


def test_an_outside_loan_needs_the_property_manager(walk):
    i = walk.start("key_loan", {**LOAN, "borrower_dept": "outside", "borrower": "电梯维保公司张师傅"})
    assert set(walk.ready(i)) == {"approve_outside"} and walk.ready(i)["approve_outside"]["lane"] == "cs_manager"
    walk.work(i, "approve_outside", {"approved": True, "approver": "物业经理"})
    assert set(walk.ready(i)) == {"lend"}


def test_kl1_a_key_not_back_by_the_end_of_the_shift_needs_the_supervisors_reason(walk):
    i = lent(walk)
    due = walk.timer_due(i, "give_back_kl1")
    assert due == parse_instant(str(LOAN["return_by"]))
    walk.set(due - SECOND)
    assert set(walk.ready(i)) == {"give_back"} and walk.violations(i) == []
    walk.set(due + SECOND)
    assert set(walk.ready(i)) == {"give_back", "explain_late"}
    assert walk.ready(i)["explain_late"]["lane"] == "dept_supervisor"
    assert walk.violations(i) == [("KL1", "dept_supervisor", 0.0)]
    walk.work(i, "explain_late", {"late_reason": "检修延长至夜班", "late_supervisor": "工程部王主管"})
    walk.work(i, "give_back", RETURNED)
    assert walk.show(i)["status"] == "completed"


def test_a_lost_key_is_confirmed_by_the_supervisor_the_lock_changed_and_charged_to_the_loser(walk):
    i = lent(walk)
    walk.work(i, "give_back", {"return_status": "lost", "returned_quantity": 0, "received_by": "前台小李"})
    assert walk.ready(i)["confirm_loss"]["lane"] == "dept_supervisor"
    walk.work(i, "confirm_loss", {"loss_circumstances": "检修时遗落", "loss_confirmed_by": "工程部王主管",
                                  "lost_by": "刘工", "discipline": "书面警告"})
    walk.work(i, "change_lock", {"lock_cost": 180.0, "new_key_no": "B2-03A"})
    charge = walk.ready(i)["charge"]
    assert charge["lane"] == "finance"
    with pytest.raises(BadInput) as refused:
        walk.work(i, "charge", {"lock_cost": 1.0, "charge_receipt_no": "SJ-1"})
    assert "lock_cost" in refused.value.fields
    walk.work(i, "charge", {"charge_receipt_no": "SJ-20261103-0009"})
    shown = walk.show(i)
    assert shown["status"] == "completed"
    assert shown["data"]["lost_by"] == "刘工" and shown["data"]["lock_cost"] == 180.0


def test_a_return_time_in_the_past_is_refused_naming_the_field(walk):
    with pytest.raises(BadInput) as refused:
        walk.start("key_loan", {**LOAN, "return_by": "2026-11-03T09:00:00+08:00"})
    assert "return_by" in refused.value.fields
