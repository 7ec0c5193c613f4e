"""Who may do what (engine/rules/permissions.py), and the use cases that ask before they touch any
workflow, run through the runner on the fake unit of work: each refusal says who and why, in
Chinese and English, and stores nothing."""
from __future__ import annotations

import pytest

from engine.errors import BadInput, NotFound, NotPermitted
from engine.rules.permissions import (
    Actor,
    may_assign,
    may_audit,
    may_deploy,
    may_see_all_tasks,
    may_start,
    may_view,
    may_work_on,
)
from engine.usecases.deploy import deploy
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import assign_task, list_tasks
from tests.support import act

COMPLAINT = {"name": "客户投诉处理", "start_groups": ["dispatcher", "front_desk"],
             "lanes": {"dispatcher": "调度", "butler": "管家"},
             "start_form": [{"id": "room", "type": "string", "label": "房号", "required": True}]}


def person(name: str, *groups: str) -> Actor:
    return Actor(name, frozenset(groups))


def refusal(check, *args, **kwargs) -> str:
    with pytest.raises(NotPermitted) as refused:
        check(*args, **kwargs)
    return refused.value.message


def test_only_the_start_groups_or_an_administrator_may_start_a_process():
    may_start(person("d", "dispatcher"), COMPLAINT)
    may_start(person("root", "admin"), COMPLAINT)
    assert refusal(may_start, person("b", "butler"), COMPLAINT) == (
        "b 无权发起流程 客户投诉处理 (may not start it; groups allowed: dispatcher, front_desk)")


def test_quality_staff_read_everything_but_may_not_start_or_work_even_in_a_start_group():
    auditor = person("q", "quality")
    may_view(auditor, COMPLAINT)
    may_audit(auditor)
    assert "无权发起流程" in refusal(may_start, auditor, {"start_groups": ["quality"]})
    assert refusal(may_work_on, auditor, assignee=None, groups=["quality"]) == (
        "q 不在此任务的处理组中 (not in the task's groups: quality)")


def test_a_claimed_task_is_its_assignees_alone():
    may_work_on(person("wang", "butler"), assignee="wang", groups=["butler"])
    assert refusal(may_work_on, person("li", "butler"), assignee="wang", groups=["butler"]) == (
        "任务已由 wang 认领 (the task is claimed by wang)")


def test_an_unclaimed_task_is_for_any_member_of_its_groups():
    may_work_on(person("li", "butler", "finance"), assignee=None, groups=["finance"])
    assert "不在此任务的处理组中" in refusal(may_work_on, person("li", "butler"), assignee=None, groups=["finance"])


@pytest.mark.parametrize(("check", "message"), [
    (may_assign, "不是主管，不能分派任务 (only supervisors assign tasks)"),
    (may_see_all_tasks, "不是主管，不能查看所有任务 (--all is for supervisors)"),
    (may_deploy, "不是流程负责人，不能部署 (only process owners deploy)"),
    (may_audit, "无权查看审计 (audit is for quality and supervisors)"),
])
def test_supervisor_and_owner_rights_are_refused_to_a_butler_by_name(check, message):
    assert refusal(check, person("wang", "butler")) == f"wang {message}"
    check(person("boss", "cs_manager", "process_owner"))


def test_instances_are_visible_to_their_lanes_start_groups_supervisors_auditors_and_owners():
    for groups in (["butler"], ["front_desk"], ["dispatch_supervisor"], ["quality"], ["process_owner"]):
        may_view(person("x", *groups), COMPLAINT)
    assert refusal(may_view, person("x", "finance"), COMPLAINT) == (
        "x 无权查看此流程实例 (may not view instances of 客户投诉处理)")


# -- the use cases that ask first ------------------------------------------------------------------

@pytest.fixture
def desk_db(fake_db):
    for name, groups in (("butler", ["butler"]), ("dispatcher", ["dispatcher"]), ("owner", ["process_owner"])):
        fake_db.add_user(name, groups)
    fake_db.add_definition("complaint", COMPLAINT)
    return fake_db


def test_a_butler_who_assigns_a_task_is_refused_before_the_task_is_even_looked_up(desk_db, clock):
    with pytest.raises(NotPermitted) as refused:
        act(desk_db, assign_task, as_="butler", at=clock, task_id="no-such-task", assignee="dispatcher")
    assert refused.value.message == "butler 不是主管，不能分派任务 (only supervisors assign tasks)"
    assert desk_db.commits == 0


def test_every_groups_inbox_is_for_supervisors(desk_db, clock):
    with pytest.raises(NotPermitted) as refused:
        act(desk_db, list_tasks, as_="butler", at=clock, every_group=True)
    assert refused.value.exit_code == 3 and "--all is for supervisors" in refused.value.message


def test_deploying_is_for_process_owners_and_needs_a_file(desk_db, clock):
    with pytest.raises(NotPermitted) as refused:
        act(desk_db, deploy, as_="butler", at=clock, files=[("complaint.bpmn", b"<definitions/>")])
    assert refused.value.message == "butler 不是流程负责人，不能部署 (only process owners deploy)"
    with pytest.raises(BadInput) as empty:
        act(desk_db, deploy, as_="owner", at=clock, files=[])
    assert empty.value.message == "没有要部署的文件 (no files to deploy)"
    assert desk_db.commits == 0 and desk_db.events == []


def test_starting_an_unknown_process_names_it(desk_db, clock):
    with pytest.raises(NotFound) as missing:
        act(desk_db, start_instance, as_="dispatcher", at=clock, process_id="complaints", data={})
    assert missing.value.message == "没有此流程 (no process 'complaints')" and missing.value.http_status == 404


def test_a_butler_may_not_start_a_complaint_and_a_dispatcher_must_fill_the_start_form(desk_db, clock):
    with pytest.raises(NotPermitted) as refused:
        act(desk_db, start_instance, as_="butler", at=clock, process_id="complaint", data={"room": "3-2-1102"})
    assert "groups allowed: dispatcher, front_desk" in refused.value.message
    with pytest.raises(BadInput) as incomplete:
        act(desk_db, start_instance, as_="dispatcher", at=clock, process_id="complaint", data={"note": "x"})
    assert {k: v["key"] for k, v in incomplete.value.fields.items()} == {"room": "form.required",
                                                                          "note": "form.unknown"}
    assert desk_db.commits == 0 and desk_db.events == []
