"""The case on every task page and inbox card: who, what and the steps so far, chosen by the
process's BPMN (``case:who`` / ``case:what`` / ``case:phones``), phones as tel: links for those who
work on the case and masked (138****5678) everywhere else."""
import re

import pytest

from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.runner import handle
from tests.support import ROOT, found
from tests.web.conftest import csrf_token

COMPLAINT = {"complainant": "张三", "room": "3-2-1102", "phone": "13812345678", "channel": "phone",
             "content": "楼上装修噪音，晚上十点后仍在施工", "received_at": "2026-11-20T09:00", "households": "1"}


@pytest.fixture(autouse=True)
def complaint_deployed(web_db, clock):
    handle(web_db, deploy, actor=SYSTEM, clock=clock,
           files=[("complaint.bpmn", (ROOT / "processes/complaint.bpmn").read_bytes())])


def _start(client) -> str:
    resp = client.post("/start/complaint", data={"csrf_token": csrf_token(client, "/start"), **COMPLAINT})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return resp.headers["Location"].split("/")[2]


def _submit(client, task_id: str, **data) -> None:
    resp = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(client, "/inbox"), **data})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]


def _card(inbox: str, name: str) -> str:
    m = found(re.search(rf'<li class="card task[^"]*"[^>]*data-task-name="{name}".*?</li>', inbox, re.S), name)
    return m.group(0)


def test_the_task_page_shows_who_what_and_a_tel_link_to_the_person_handling_it(client, auth):
    auth.login_as("dispatcher")
    task_id = _start(client)
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    case = found(re.search(r'<section class="case".*?</section>', page, re.S), "the case panel").group(0)
    assert "投诉人" in case and "张三" in case and "3-2-1102" in case and "楼上装修噪音" in case
    assert 'href="tel:13812345678"' in case and "138****5678" not in case
    assert "电话" in case                              # the channel's option name, not its id
    assert "受理登记" in case                          # the first step, by whom it was taken


def test_an_inbox_card_shows_the_case_with_the_phone_masked(client, auth):
    auth.login_as("dispatcher")
    task_id = _start(client)
    _submit(client, task_id, receiver="调度员小王", intake_note="业主情绪激动，希望今天给答复")
    auth.logout()
    auth.login_as("butler")
    card = _card(client.get("/inbox").get_data(as_text=True), "classify")
    assert "张三" in card and "3-2-1102" in card and "楼上装修噪音" in card
    assert "138****5678" in card and "13812345678" not in card and "tel:" not in card
    fragment = client.get("/inbox/fragment").get_data(as_text=True)       # the poll shows the same
    assert "138****5678" in _card(fragment, "classify")


def test_the_steps_so_far_carry_the_notes_people_wrote(client, auth):
    auth.login_as("dispatcher")
    task_id = _start(client)
    _submit(client, task_id, receiver="调度员小王", intake_note="业主情绪激动，希望今天给答复")
    auth.logout()
    auth.login_as("butler")
    inbox = client.get("/inbox").get_data(as_text=True)
    classify = found(re.search(r'data-task-id="([^"]+)" data-task-name="classify"', inbox), "classify").group(1)
    page = client.get(f"/tasks/{classify}").get_data(as_text=True)
    steps = found(re.search(r'<ol class="case-steps".*?</ol>', page, re.S), "the steps").group(0)
    assert "登记投诉并调度" in steps and "补充记录" in steps and "业主情绪激动，希望今天给答复" in steps
    # the butler's group is offered this task: they work on the case and may call the owner
    assert 'href="tel:13812345678"' in page


def test_someone_not_on_the_case_sees_the_phone_masked_on_the_task_page(client, auth):
    auth.login_as("dispatcher")
    task_id = _start(client)
    auth.logout()
    auth.login_as("quality")                             # an auditor: may look, does not work on it
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert page.count("138****5678") >= 1 and "13812345678" not in page and "tel:" not in page
    assert 'data-testid="case-masked-note"' in page


def test_a_process_without_case_properties_shows_no_summary_and_no_error(client, auth, steps):
    auth.login_as("front_desk")
    started = steps.start_visit()
    page = client.get(f"/tasks/{started['ready'][0]['id']}")
    assert page.status_code == 200 and "此流程没有设置案件摘要" in page.get_data(as_text=True)


def test_the_pages_say_it_in_a_service_desks_words_not_the_modelers(client, auth):
    """Defect 9 of issue 11: 泳道, 计时器到期 and 任务待办 on the pages."""
    auth.login_as("dispatcher")
    task_id = _start(client)
    task = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    instance = found(re.search(r'href="/instances/(\d+)"', task), "the instance link").group(1)
    pages = client.get("/inbox").get_data(as_text=True) + client.get(f"/instances/{instance}").get_data(as_text=True)
    for jargon in ("泳道", "计时器到期", "任务待办"):
        assert jargon not in pages, jargon
    assert "全部处理组" in pages and "新任务" in pages


def test_instances_are_found_by_part_of_the_room_and_the_process_is_chosen_by_its_name(client, auth):
    """Defect 9 of issue 11: instance search needed the English process id and an exact room."""
    auth.login_as("dispatcher")
    _start(client)
    page = client.get("/instances?room=3-2").get_data(as_text=True)
    assert 'data-testid="instance-card"' in page and "房号 3-2-1102" in page
    assert '<option value="complaint"' in page and "客户投诉处理" in page
    assert 'data-testid="no-instances"' in client.get("/instances?room=3-2_").get_data(as_text=True)
