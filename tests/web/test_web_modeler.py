"""The process owners' pages: the list of versions, the modeler page, the server previews (the
inbox's own form template; the timer on the business calendar), the diff page and the migration
page; every one 403 for anyone but process owners and administrators."""
from __future__ import annotations

import re

import pytest

from engine.usecases.definitions import deploy_definition
from tests.support import BPMN_DIR
from tests.web.conftest import csrf_token

V1 = (BPMN_DIR / "leave_request.bpmn").read_text()
V2 = V1.replace("add_working_hours(received_at, 2)", "add_working_hours(received_at, 4)").replace(
    '<camunda:formField id="finished_on" label="完成日期" type="date"/>',
    '<camunda:formField id="finished_on" label="完成日期" type="date"/>'
    '<camunda:formField id="parts" label="更换配件" type="string"/>')


def preview(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token(client, "/modeler/")})


@pytest.mark.parametrize("path", ["/modeler/", "/modeler/new", "/modeler/edit/visit_request/1",
                                  "/modeler/diff/visit_request", "/modeler/migrate/visit_request/1"])
def test_the_modeler_pages_are_for_process_owners_and_administrators_only(client, auth, path):
    auth.login_as("dispatcher")
    resp = client.get(path)
    assert resp.status_code == 403 and "流程负责人" in resp.get_data(as_text=True)
    auth.logout()
    auth.login_as("admin")
    assert client.get(path).status_code == 200


def test_the_list_shows_each_version_with_its_comment_and_running_instances(client, auth, steps):
    steps.to_repair()
    steps.call(deploy_definition, "process_owner", files=[("leave_request.bpmn", V2.encode())], comment="加配件字段")
    auth.login_as("process_owner")
    html = client.get("/modeler/").get_data(as_text=True)
    assert "加配件字段" in html and 'data-testid="version-visit_request-2"' in html
    assert re.search(r'data-testid="running-visit_request-1">1<', html)
    assert 'data-testid="migrate-visit_request-1"' in html


def test_the_modeler_page_loads_only_our_own_files_and_names_the_version(client, auth):
    auth.login_as("process_owner")
    html = client.get("/modeler/edit/visit_request/1").get_data(as_text=True)
    assert 'data-source-url="/api/definitions/visit_request/1"' in html
    assert "vendor/modeler/modeler.js" in html and "http" not in re.sub(r'content="[^"]*"', "", html.split("<body")[0])


def test_the_form_preview_is_the_inbox_form_of_the_edited_diagram(client, auth):
    auth.login_as("process_owner")
    resp = preview(client, "/modeler/preview/form", {"xml": V2, "element": "repair"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="field-hours"' in html and 'id="field-parts"' in html and "更换配件" in html
    assert "disabled" in html
    start = preview(client, "/modeler/preview/form", {"xml": V2, "element": "start"}).get_data(as_text=True)
    assert 'id="field-room"' in start
    missing = preview(client, "/modeler/preview/form", {"xml": V2, "element": "nope"})
    # a diagram mid-edit that cannot be previewed yet is an answer (200), not a failure
    assert missing.status_code == 200 and "没有元素 nope" in missing.get_json()["error"]
    half = preview(client, "/modeler/preview/form", {"xml": V2.replace('id="parts"', ""), "element": "repair"})
    assert half.status_code == 200 and half.get_json()["error"].startswith("表单字段有误")


def test_the_timer_preview_falls_due_on_the_business_calendar(client, auth):
    auth.login_as("process_owner")
    # Friday 2026-11-20 09:00: two working hours later is 11:00; eight working hours is past the weekend
    two = preview(client, "/modeler/preview/timer", {"expression": "add_working_hours(received_at, 2)"}).get_json()
    assert (two["started"], two["due"]) == ("2026-11-20T09:00:00+08:00", "2026-11-20T11:00:00+08:00")
    days = preview(client, "/modeler/preview/timer", {"expression": "add_working_days(received_at, 1)"}).get_json()
    assert days["due"].startswith("2026-11-23")
    iso = preview(client, "/modeler/preview/timer", {"expression": "PT2H", "kind": "timeDuration"}).get_json()
    assert iso["due"] == "2026-11-20T11:00:00+08:00"
    bad = preview(client, "/modeler/preview/timer", {"expression": "add_wrking_hours(received_at, 2)"})
    assert bad.status_code == 200 and bad.get_json()["error"].startswith("定时器无法计算")


def test_the_previews_are_refused_to_other_staff(client, auth):
    auth.login_as("engineering")
    assert preview(client, "/modeler/preview/timer", {"expression": "PT2H"}).status_code == 403
    assert preview(client, "/modeler/preview/form", {"xml": V1, "element": "repair"}).status_code == 403


def test_the_diff_page_lists_the_changed_timer_and_the_new_field(client, auth, steps):
    steps.call(deploy_definition, "process_owner", files=[("leave_request.bpmn", V2.encode())], comment="改")
    auth.login_as("process_owner")
    html = client.get("/modeler/diff/visit_request").get_data(as_text=True)
    assert 'data-testid="change-repair_late"' in html and "add_working_hours(received_at, 4)" in html
    assert 'data-testid="form-change-repair-parts"' in html


def test_the_migration_page_checks_each_instance_and_moves_the_chosen(client, auth, steps, web_db):
    instance, _ = steps.to_repair()
    steps.call(deploy_definition, "process_owner", files=[("leave_request.bpmn", V2.encode())], comment="改")
    auth.login_as("process_owner")
    html = client.get("/modeler/migrate/visit_request/1").get_data(as_text=True)
    assert f'data-testid="candidate-{instance}"' in html and "可以迁移" in html and "新增字段 更换配件" in html
    resp = client.post("/modeler/migrate/visit_request/1", data={
        "csrf_token": csrf_token(client, "/modeler/"), "to": "2", "instance": str(instance)}, follow_redirects=True)
    assert f"已迁移到第 2 版：#{instance}" in resp.get_data(as_text=True)
    with web_db.uow(readonly=True) as uow:
        assert uow.instances.get(instance).definition.version == 2
