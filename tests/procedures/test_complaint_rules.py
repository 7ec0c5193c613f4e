"""M1 as written (issue 15): who pays as a person (the duty roster, the group's head and supervisor),
the first receiver (第十二条), times that cannot lie, closing after the manager's review with the
archive confirmed, the supervisor's solution when a department cannot solve it, the daily audit of
the record (第五条) and a refused dispatch (第九条). Each clock one second before and after."""
from __future__ import annotations

import pytest

from engine.errors import BadInput, NotPermitted
from engine.usecases import duty, users
from tests.procedures.test_complaint import BPMN, FRIDAY, Desk, later
from tests.support import act, deploy_files, initialized_sqlite

ON = f"{FRIDAY}T09:00:00+08:00"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    database = initialized_sqlite(tmp_path_factory.mktemp("complaint_rules"))
    deploy_files(database, BPMN)
    for name, groups in (("wang", ["engineering"]), ("liu_head", ["engineering"]), ("zhao_sup", ["dept_supervisor"]),
                         ("chen", ["security"]), ("sun_head", ["security"]), ("qian", ["front_desk"]),
                         ("zhou_head", ["front_desk"])):
        act(database, users.add_user, name=name, groups=groups, password="secret1")
    act(database, duty.set_group_lead, group="engineering", head="liu_head", supervisor="zhao_sup")
    act(database, duty.set_group_lead, group="security", head="sun_head", supervisor=None)
    act(database, duty.set_group_lead, group="front_desk", head="zhou_head", supervisor=None)
    act(database, duty.add_duty_shift, group="engineering", user="wang", starts_at=f"{FRIDAY}T08:00:00+08:00",
        ends_at=f"{FRIDAY}T20:00:00+08:00")
    yield Desk(database)
    database.dispose()


def kinds(case, deadline):
    return [(v["responsible"], v["responsible_kind"], v["amount"], v["description"])
            for v in case.show()["violations"] if v["deadline"] == deadline]


# -- a person pays, not a group ----------------------------------------------------------------------

def test_an_unclaimed_group_task_is_charged_to_the_person_on_duty_else_the_head_marked_unclaimed(desk):
    on_shift = desk.classified(ON)                                   # accept_engineering unclaimed
    on_shift.falls_due("accept_engineering_c4", f"{FRIDAY}T11:00:00+08:00")
    ((who, kind, _amount, text),) = kinds(on_shift, "C4")
    assert (who, kind) == ("wang", "duty") and "未认领" in text        # wang is on duty 08:00–20:00
    night = desk.classified(f"{FRIDAY}T20:30:00+08:00", dept="security")   # no one on duty: the head
    night.falls_due("accept_security_c4", f"{FRIDAY}T22:30:00+08:00")
    assert [k[:2] for k in kinds(night, "C4")] == [("sun_head", "head")]


def test_c7_co_payers_are_the_departments_supervisor_and_head(desk):
    case = desk.classified(ON)
    case.claim("accept_engineering", f"{FRIDAY}T09:20:00+08:00", "engineering")
    case.fire("2026-11-21T09:00:01+08:00")
    case.claim("escalate_supervisor", "2026-11-21T09:05:00+08:00", "cs_supervisor")
    case.falls_due("escalate_supervisor_c7", "2026-11-21T11:00:01+08:00")
    assert [(w, k, a) for w, k, a, _t in kinds(case, "C7")] == [
        ("engineering", "user", 100.0), ("zhao_sup", "user", 50.0), ("liu_head", "user", 30.0)]


@pytest.mark.once                  # no workflow step to reload: a refusal, or a start
def test_the_duty_roster_refuses_beside_the_field_and_only_for_admins(desk):
    with pytest.raises(BadInput) as bad:
        act(desk.db, duty.add_duty_shift, group="engineering", user="chen", starts_at=f"{FRIDAY}T08:00",
            ends_at=f"{FRIDAY}T07:00")
    assert set(bad.value.fields) == {"user", "ends_at"} and "不是工程部的成员" in bad.value.fields["user"]["message"]
    with pytest.raises(NotPermitted):
        act(desk.db, duty.set_group_lead, as_="butler", group="engineering", head="wang", supervisor=None)


# -- 第十二条 the first receiver ---------------------------------------------------------------------

def test_a_complaint_reported_after_the_day_it_was_received_charges_the_first_receiver_and_their_head(desk):
    case = desk.start("2026-11-19T16:00:00+08:00", at=ON, first_receiver="qian")       # reported the next day
    case.fire(ON)                                       # C1 counts from the report, not at once
    assert [v for v in case.violations() if v[0] == "C1"] == []
    assert case.due("c1_5min") == later(ON, minutes=5)
    assert [(w, a) for w, _k, a, _t in kinds(case, "C14")] == [("qian", 100.0), ("zhou_head", 50.0)]


@pytest.mark.once                  # no workflow step to reload: a refusal, or a start
def test_a_complaint_reported_the_same_day_costs_the_first_receiver_nothing(desk):
    case = desk.start(f"{FRIDAY}T00:00:00+08:00", first_receiver="qian")
    assert kinds(case, "C14") == []


# -- times that cannot lie -----------------------------------------------------------------------------

def test_finished_at_in_the_future_or_before_receipt_is_refused_beside_the_field(desk):
    case = desk.classified(ON)
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系")
    for when, key in ((f"{FRIDAY}T12:00:01+08:00", "form.future"), (f"{FRIDAY}T08:59:59+08:00", "form.before")):
        with pytest.raises(BadInput) as bad:
            case.complete("handle_engineering", f"{FRIDAY}T12:00:00+08:00", result="已修复", finished_at=when)
        assert bad.value.fields["finished_at"]["key"] == key
    case.complete("handle_engineering", f"{FRIDAY}T12:00:00+08:00", result="已修复", finished_at=ON)
    assert case.due("followup_c12") == "2026-11-23T09:00:00+08:00"        # C12 from the checked finished_at


@pytest.mark.once                  # no workflow step to reload: a refusal, or a start
def test_a_received_at_in_the_future_is_refused(desk):
    with pytest.raises(BadInput) as bad:
        desk.start("2026-11-21T09:00:00+08:00", at=ON)
    assert bad.value.fields["received_at"]["key"] == "form.future"


# -- closing, and the department that cannot solve it --------------------------------------------------

def test_closing_needs_the_managers_review_and_the_archive_confirmed(desk):
    case = desk.handled(ON)
    case.complete("followup", f"{FRIDAY}T14:00:00+08:00", satisfied=True)
    assert case.names() == ["manager_review"]
    case.complete("manager_review", f"{FRIDAY}T14:10:00+08:00", review_note="同意", reviewed=True)
    with pytest.raises(BadInput) as bad:
        case.complete("close", f"{FRIDAY}T14:20:00+08:00", owner_opinion="满意", archived=False)
    assert bad.value.fields["archived"]["key"] == "form.confirmed"
    assert case.names() == ["close"]
    case.complete("close", f"{FRIDAY}T14:20:00+08:00", owner_opinion="满意", archived=True)
    assert case.show()["status"] == "completed"


def test_a_department_that_cannot_solve_it_sends_it_back_to_the_supervisor_with_a_deadline(desk):
    case = desk.classified(ON)
    case.complete("accept_engineering", f"{FRIDAY}T09:20:00+08:00", contact_note="已联系")
    case.complete("handle_engineering", f"{FRIDAY}T10:00:00+08:00", result="需更换整条管线，本部门无权限",
                  finished_at=f"{FRIDAY}T10:00:00+08:00", cannot_solve=True)
    assert case.task("supervisor_solution")["lane"] == "cs_supervisor"
    case.falls_due("supervisor_solution_c19", "2026-11-21T10:00:00+08:00")
    assert case.task("alert_c19")["lane"] == "cs_manager"
    case.complete("supervisor_solution", "2026-11-21T11:00:00+08:00", solution="联系外部施工单位",
                  responsible_dept="security")
    assert "accept_security" in case.names()


# -- 第五条 the daily audit of the record, 第九条 a refused dispatch -------------------------------------

def test_the_audit_charges_30_yuan_a_missing_item_to_who_recorded_it(desk):
    case = desk.start(ON)
    case.complete("intake", later(ON, minutes=1), as_="qian", receiver="前台小钱")
    case.complete("audit_record", later(ON, hours=3), record_missing=2, audit_note="缺联系方式、接单人",
                  audit_signed=True)
    assert [(w, a) for w, _k, a, _t in kinds(case, "C15")] == [("qian", 60.0)]


def test_an_audit_not_done_by_the_end_of_the_next_day_costs_the_supervisor_50_yuan(desk):
    case = desk.start(ON)
    case.complete("intake", later(ON, minutes=1), receiver="小王")
    case.claim("audit_record", later(ON, minutes=2), "dispatch_supervisor")
    case.falls_due("audit_record_c16", "2026-11-21T23:59:59+08:00")
    assert [(w, a) for w, _k, a, _t in kinds(case, "C16")] == [("dispatch_supervisor", 50.0)]


def test_refusing_a_dispatch_costs_the_refuser_200_yuan_and_the_case_stays_with_the_department(desk):
    case = desk.classified(ON)
    case.complete("accept_engineering", f"{FRIDAY}T09:10:00+08:00", as_="wang", contact_note="不归我管", refused=True)
    assert [(w, a) for w, _k, a, _t in kinds(case, "C17")] == [("wang", 200.0)]
    assert "accept_engineering" in case.names()
