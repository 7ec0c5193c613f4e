"""A complaint carried from intake to close through the pages only, each step by the person whose
lane it is in — what a new member of staff does on the first day."""
import re

import pytest

from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.runner import handle
from tests.support import ROOT, found
from tests.web.conftest import csrf_token


@pytest.fixture(autouse=True)
def complaint_deployed(web_db, clock):
    handle(web_db, deploy, actor=SYSTEM, clock=clock,
           files=[("complaint.bpmn", (ROOT / "processes/complaint.bpmn").read_bytes())])


def _open_task(client, name: str) -> tuple[str, str]:
    """Find the task in the signed-in user's inbox by its BPMN name; returns (id, form page HTML)."""
    inbox = client.get("/inbox").get_data(as_text=True)
    m = re.search(rf'data-task-id="([^"]+)" data-task-name="{name}"', inbox)
    assert m, f"{name} is not in the inbox"
    return m.group(1), client.get(f"/tasks/{m.group(1)}").get_data(as_text=True)


def _submit(client, task_id: str, **data) -> str:
    resp = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(client, "/inbox"), **data})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    return client.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_complaint_goes_from_intake_to_close_through_the_pages(client, auth, clock):
    from datetime import timedelta
    auth.login_as("dispatcher")
    resp = client.post("/start/complaint", data={
        "csrf_token": csrf_token(client, "/start"), "complainant": "张三", "room": "3-2-1102",
        "phone": "13800000000", "channel": "phone", "content": "楼上装修噪音，晚上十点后仍在施工",
        "received_at": "2026-11-20T09:00", "households": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/tasks/")
    intake = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "登记投诉并调度" in intake and "已创建客户投诉处理" in intake
    instance = int(found(re.search(r'href="/instances/(\d+)"', intake), "the instance link").group(1))
    task_id = resp.headers["Location"].split("/")[2]
    clock.advance(timedelta(minutes=2))
    _submit(client, task_id, receiver="调度员小王")
    auth.logout()

    auth.login_as("dispatch_supervisor")                           # M1 第五条: the record audited and signed
    task_id, _ = _open_task(client, "audit_record")
    _submit(client, task_id, record_missing="0", audit_signed="true")
    auth.logout()

    auth.login_as("butler")
    task_id, page = _open_task(client, "classify")
    assert 'data-testid="case-guide"' not in page                  # no category yet
    clock.advance(timedelta(minutes=3))
    _submit(client, task_id, complaint_type="valid", severity="general", category="noise",
            responsible_dept="engineering")
    auth.logout()

    auth.login_as("engineering")
    task_id, page = _open_task(client, "accept_engineering")
    assert 'data-testid="case-guide"' in page and 'data-category="noise"' in page   # the guide, beside the form
    clock.advance(timedelta(minutes=10))
    done = _submit(client, task_id, contact_note="已电话联系业主", agreed_reply_at="2026-11-20T16:00")
    assert "处理投诉（工程部）" in done                              # my next task, offered at once
    next_task = re.search(r'href="/tasks/([^"]+)" role="button" data-testid="next-task"', done)
    task_id = found(next_task, "the next-task button").group(1)
    clock.advance(timedelta(hours=4))
    _submit(client, task_id, result="已与装修户协商，晚八点后停工", finished_at="2026-11-20T13:00")  # not ahead
    auth.logout()

    auth.login_as("butler")
    task_id, _ = _open_task(client, "followup")
    clock.advance(timedelta(hours=20))
    _submit(client, task_id, satisfied="true", door_visit_required="false")
    auth.logout()
    auth.login_as("cs_manager")                                    # M0 4.3: the manager reviews before the archive
    task_id, page = _open_task(client, "manager_review")
    _submit(client, task_id, **_close_fields(page))
    auth.logout()
    auth.login_as("butler")
    task_id, page = _open_task(client, "close")
    _submit(client, task_id, **_close_fields(page))

    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert 'data-status="completed"' in html and 'data-testid="violations"' not in html
    assert "已与装修户协商，晚八点后停工" in html


def _close_fields(page: str) -> dict:
    """Whatever the close form asks for: a yes for yes/no fields, a short text for the rest."""
    fields = dict(re.findall(r'data-testid="field-([a-z_]+)" data-type="([a-z]+)"', page))
    return {f: ("true" if t == "boolean" else "满意") for f, t in fields.items() if t in ("boolean", "string")}


def test_an_appointment_in_the_past_is_refused_beside_its_field_and_the_task_stays_open(client, auth, clock):
    """Issue 14, finding 4: 2026-07-01 typed as the agreed reply time made a C6 cycle 140 days behind,
    which wedged the instance. The form says so instead."""
    auth.login_as("dispatcher")
    resp = client.post("/start/complaint", data={
        "csrf_token": csrf_token(client, "/start"), "complainant": "张三", "room": "3-2-1102",
        "phone": "13800000000", "channel": "phone", "content": "楼上装修噪音", "received_at": "2026-11-20T09:00",
        "households": "1"})
    _submit(client, resp.headers["Location"].split("/")[2], receiver="调度员小王")
    auth.logout()
    auth.login_as("butler")
    task_id, _ = _open_task(client, "classify")
    _submit(client, task_id, complaint_type="valid", severity="general", category="noise",
            responsible_dept="engineering")
    auth.logout()
    auth.login_as("engineering")
    task_id, _ = _open_task(client, "accept_engineering")
    typed = {"contact_note": "已电话联系业主", "agreed_reply_at": "2026-07-01T10:00"}
    refused = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(client, "/inbox"), **typed})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    error = found(re.search(r'data-testid="error-agreed_reply_at">([^<]+)<', page), "the message under the field")
    assert error.group(1) == "约定时间不能早于现在（2026-11-20 09:00），请填写之后的时间"
    assert "已电话联系业主" in page                                   # what was typed is kept
    api = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"contact_note": "已联系",
                                                                         "agreed_reply_at": "2026-11-20"}},
                      headers={"X-CSRFToken": csrf_token(client, "/inbox")})
    assert api.status_code == 422 and api.get_json()["fields"]["agreed_reply_at"]["key"] == "form.past"
    assert _submit(client, task_id, contact_note="已电话联系业主", agreed_reply_at="2026-11-20T09:00")   # this minute
