"""Task and start forms: widgets per field type, server-side validation with the error beside the
field and the typed values kept, conflicts, the confirmation with the next task, permissions."""
import re

from tests.web.conftest import csrf_token


def _field(html: str, field_id: str) -> str:
    m = re.search(rf'<div class="field" data-testid="field-{field_id}".*?\n</div>', html, re.S)
    assert m, f"no field {field_id}"
    return m.group(0)


def test_the_register_form_has_a_widget_per_field_type_with_chinese_labels_and_defaults(client, auth, steps):
    started = steps.start_visit()
    auth.login_as("front_desk")
    html = client.get(f"/tasks/{started['ready'][0]['id']}").get_data(as_text=True)
    content, urgent, location = _field(html, "content"), _field(html, "urgent"), _field(html, "location")
    assert "报修内容" in content and "<textarea" in content and 'class="req"' in content
    assert "是否紧急" in urgent and 'type="radio"' in urgent
    assert re.search(r'value="false" checked', urgent)                     # default false
    assert "<select" in location and re.search(r'<option value="indoor" selected>户内</option>', location)


def test_number_and_date_fields_get_numeric_and_date_inputs(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    html = client.get(f"/tasks/{repair['id']}").get_data(as_text=True)
    assert 'inputmode="numeric"' in _field(html, "hours") and 'data-max="48"' in _field(html, "hours")
    assert 'type="date"' in _field(html, "finished_on")                    # label 完成日期


def test_a_wrong_value_shows_the_error_next_to_its_field_and_keeps_what_was_typed(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    token = csrf_token(client, "/inbox")
    resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": token, "hours": "99", "finished_on": "2026-11-20"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-testid="form-error"' in html
    hours = _field(html, "hours")
    assert 'value="99"' in hours and 'aria-invalid="true"' in hours and "不能大于 48" in hours
    assert 'value="2026-11-20"' in _field(html, "finished_on")
    resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": token, "hours": "五"})
    assert "请输入整数" in _field(resp.get_data(as_text=True), "hours")


def test_a_missing_required_field_is_named_beside_the_field(client, auth, steps):
    started = steps.start_visit()
    auth.login_as("front_desk")
    resp = client.post(f"/tasks/{started['ready'][0]['id']}",
                       data={"csrf_token": csrf_token(client, "/inbox"), "content": "", "location": "corridor"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "此项为必填项" in _field(html, "content")
    assert re.search(r'<option value="corridor" selected>', _field(html, "location"))


def test_completing_a_task_confirms_it_and_offers_my_next_task_in_that_instance(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("demo")                                   # demo is in every group
    resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": csrf_token(client, "/inbox"), "hours": "5"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/tasks/{repair['id']}/done"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "「上门维修」已已完成" not in html and "「上门维修」已完成" in html and "处理人 demo" in html
    assert 'data-testid="next-task"' in html and "主管审批费用" in html   # 5 h * 50 > 200


def test_after_the_last_step_of_mine_the_confirmation_says_there_is_no_next_task(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    client.post(f"/tasks/{repair['id']}", data={"csrf_token": csrf_token(client, "/inbox"), "hours": "5"})
    html = client.get(f"/tasks/{repair['id']}/done").get_data(as_text=True)
    assert 'data-testid="no-next-task"' in html


def test_completing_a_task_someone_completed_first_is_a_plain_409(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    token = csrf_token(client, f"/tasks/{repair['id']}")
    steps.complete(repair["id"], "demo", {"hours": "1"})
    resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": token, "hours": "2"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "任务已不在待办状态，由 demo 完成" in html


def test_a_completed_task_page_says_who_completed_it_and_has_no_form(client, auth, steps):
    _, repair = steps.to_repair()
    steps.complete(repair["id"], "demo", {"hours": "1"})
    auth.login_as("engineering")
    html = client.get(f"/tasks/{repair['id']}").get_data(as_text=True)
    assert 'data-testid="task-not-ready"' in html and "demo" in html and 'id="task-form"' not in html


def test_a_task_of_another_process_lane_cannot_be_completed_by_an_outsider(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("front_desk")                             # may view the instance (a start group) ...
    html = client.get(f"/tasks/{repair['id']}").get_data(as_text=True)
    assert 'data-testid="cannot-complete"' in html and 'id="complete-task"' not in html
    resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": csrf_token(client, "/inbox"), "hours": "1"})
    assert resp.status_code == 403                          # ... but not work on it


def test_someone_outside_the_process_may_not_even_view_its_task(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("cleaning")
    assert client.get(f"/tasks/{repair['id']}").status_code == 403


def test_an_unknown_task_is_404(client, auth):
    auth.login_as("engineering")
    assert client.get("/tasks/no-such-task").status_code == 404


def test_quality_sees_the_form_disabled_and_cannot_submit(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("quality")
    html = client.get(f"/tasks/{repair['id']}").get_data(as_text=True)
    assert "只读" in html and "disabled" in _field(html, "hours") and 'id="complete-task"' not in html
    resp = client.post(f"/tasks/{repair['id']}", data={"csrf_token": csrf_token(client, "/inbox"), "hours": "1"})
    assert resp.status_code == 403


def test_the_start_list_shows_the_processes_i_may_start(client, auth):
    auth.login_as("front_desk")
    html = client.get("/start").get_data(as_text=True)
    assert 'data-process="visit_request"' in html and "上门维修预约" in html
    auth.logout()
    auth.login_as("engineering")
    assert 'data-testid="no-processes"' in client.get("/start").get_data(as_text=True)


def test_the_start_form_prefills_now_for_a_time_field_that_defaults_to_now(client, auth):
    auth.login_as("front_desk")
    html = client.get("/start/visit_request").get_data(as_text=True)
    assert "房号" in _field(html, "room")
    received = _field(html, "received_at")
    assert 'type="datetime-local"' in received and 'value="2026-11-20T09:00"' in received


def test_starting_an_instance_leads_straight_to_my_first_task(client, auth):
    auth.login_as("front_desk")
    resp = client.post("/start/visit_request", data={"csrf_token": csrf_token(client, "/start"), "room": "9-9-0909",
                                                     "received_at": "2026-11-20T08:55"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/tasks/")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已创建上门维修预约 #1" in html and "登记报修" in html and "9-9-0909" in html


def test_a_start_form_with_a_bad_value_keeps_the_values_and_marks_the_field(client, auth):
    auth.login_as("front_desk")
    resp = client.post("/start/visit_request", data={"csrf_token": csrf_token(client, "/start"),
                                                     "room": "x" * 25, "received_at": "昨天"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "最多 20 个字" in _field(html, "room") and 'value="' + "x" * 25 + '"' in _field(html, "room")
    assert "请输入有效的日期或时间" in _field(html, "received_at") and 'value="昨天"' in _field(html, "received_at")


def test_starting_a_process_outside_my_start_groups_is_forbidden(client, auth):
    auth.login_as("engineering")
    assert client.get("/start/visit_request").status_code == 403
    resp = client.post("/start/visit_request", data={"csrf_token": csrf_token(client, "/start"), "room": "1"})
    assert resp.status_code == 403
    assert client.get("/start/no_such_process").status_code == 404


def test_starting_without_a_csrf_token_is_refused(client, auth):
    auth.login_as("front_desk")
    assert client.post("/start/visit_request", data={"room": "1-1-1"}).status_code == 400


def test_a_widget_the_field_type_cannot_have_is_refused_at_deploy_naming_field_and_line(steps):
    import pytest

    from engine.errors import BadInput
    from engine.usecases.deploy import deploy
    from tests.support import BPMN_DIR
    source = (BPMN_DIR / "leave_request.bpmn").read_text(encoding="utf-8")
    broken = source.replace('<camunda:property id="widget" value="textarea"/>',
                            '<camunda:property id="widget" value="select"/>')
    assert broken != source
    with pytest.raises(BadInput) as refused:
        steps.call(deploy, None, files=[("leave_request.bpmn", broken.encode())])
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if 'formField id="content"' in text)
    assert "content" in refused.value.message and "select" in refused.value.message
    assert f"leave_request.bpmn:{line}" in refused.value.message, refused.value.message
