"""The instance pages: search, one instance's data, tasks, deadlines, violations, events and the
diagram markers, the diagram's source, and messages sent from the page."""
import json
import re

from tests.support import found
from tests.web.conftest import csrf_token


def _markers(html: str) -> dict:
    m = found(re.search(r'data-markers="([^"]*)"', html), "data-markers in the page")
    return json.loads(m.group(1).replace("&#34;", '"').replace("&quot;", '"'))


def test_the_instance_page_shows_status_data_with_labels_tasks_and_events(client, auth, steps):
    instance, repair = steps.to_repair(room="3-2-1102")
    auth.login_as("engineering")
    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert 'data-status="running"' in html and f"上门维修预约 #{instance}" in html
    assert re.search(r'data-key="content">报修内容</dt>\s*<dd>厨房水管漏水</dd>', html)
    assert re.search(r'data-key="location">位置</dt>\s*<dd>户内</dd>', html)            # option name, not id
    assert re.search(r'data-key="urgent">是否紧急</dt>\s*<dd>否</dd>', html)
    assert f'href="/tasks/{repair["id"]}"' in html and "期限 11-20 11:00" in html
    assert "2 工作小时未完成" in html and "T1" in html                                      # the waiting timer
    events = re.findall(r'<li data-type="([a-z_]+)"', html)
    assert events[:2] == ["instance_started", "task_ready"] and "task_completed" in events


def test_the_diagram_marks_completed_active_and_waiting_elements(client, auth, steps):
    instance, _ = steps.to_repair()
    auth.login_as("engineering")
    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    markers = _markers(html)
    assert markers["start"] == "completed" and markers["register"] == "completed"
    assert markers["repair"] == "active" and markers["repair_late"] == "waiting"
    assert "approve" not in markers
    assert f'data-xml-url="/instances/{instance}/diagram.bpmn"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html and "diagram.js" in html


def test_the_diagram_source_is_the_deployed_bpmn_of_the_pinned_version(client, auth, steps):
    instance, _ = steps.to_repair()
    auth.login_as("engineering")
    resp = client.get(f"/instances/{instance}/diagram.bpmn")
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    assert b'<bpmn:process id="visit_request"' in resp.data


def test_a_breached_deadline_shows_as_a_violation_with_the_timer_fired_event(client, auth, steps, web_db, clock):
    from engine.usecases.timers import fire_due_timers
    instance, _ = steps.to_repair()
    steps.later(hours=2, seconds=1)
    fire_due_timers(web_db, clock=clock)
    auth.login_as("cs_supervisor")
    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert 'data-testid="violations"' in html and "T1" in html and "¥30" in html
    assert 'data-type="timer_fired"' in html and 'data-type="violation"' in html
    assert _markers(html)["escalate"] == "active"


def test_a_completed_instance_has_its_end_marked_and_no_tasks(client, auth, steps):
    instance, repair = steps.to_repair()
    steps.complete(repair["id"], "engineering", {"hours": 1})                             # cheap: straight to the end
    auth.login_as("front_desk")
    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert 'data-status="completed"' in html and "没有待办任务" in html
    assert _markers(html)["end_ok"] == "completed"


def test_an_outsider_may_not_view_the_instance_or_its_diagram(client, auth, steps):
    instance, _ = steps.to_repair()
    auth.login_as("cleaning")
    assert client.get(f"/instances/{instance}").status_code == 403
    assert client.get(f"/instances/{instance}/diagram.bpmn").status_code == 403
    assert client.get("/instances/999").status_code == 404


def test_the_search_lists_only_instances_i_may_view_and_filters_by_room_and_status(client, auth, steps):
    a, _ = steps.to_repair(room="3-2-1102")
    b, _ = steps.to_repair(room="5-5-0505")
    auth.login_as("engineering")
    html = client.get("/instances").get_data(as_text=True)
    assert re.findall(r'data-instance="(\d+)"', html) == [str(b), str(a)]
    found = client.get("/instances?room=5-5-0505").get_data(as_text=True)
    assert re.findall(r'data-instance="(\d+)"', found) == [str(b)]
    assert 'data-testid="no-instances"' in client.get("/instances?status=completed").get_data(as_text=True)
    auth.logout()
    auth.login_as("cleaning")
    assert 'data-testid="no-instances"' in client.get("/instances").get_data(as_text=True)


def test_a_waiting_message_can_be_sent_from_the_instance_page(client, auth, steps):
    instance, repair = steps.to_repair()
    (approve,) = steps.complete(repair["id"], "engineering", {"hours": 5})["ready"]
    steps.complete(approve["id"], "cs_supervisor", {"approved": True})
    auth.login_as("front_desk")
    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert 'data-testid="send-message-owner_cancelled"' in html
    token = csrf_token(client, f"/instances/{instance}")
    bad = client.post(f"/instances/{instance}/messages", data={"csrf_token": token, "name": "owner_cancelled",
                                                              "data": "{not json"})
    assert bad.status_code == 422
    resp = client.post(f"/instances/{instance}/messages", data={"csrf_token": token, "name": "owner_cancelled",
                                                               "data": '{"reason": "不修了"}'})
    assert resp.status_code == 302
    assert 'data-status="completed"' in client.get(f"/instances/{instance}").get_data(as_text=True)


def test_quality_views_an_instance_without_any_action(client, auth, steps):
    instance, repair = steps.to_repair()
    (approve,) = steps.complete(repair["id"], "engineering", {"hours": 5})["ready"]
    steps.complete(approve["id"], "cs_supervisor", {"approved": True})
    auth.login_as("quality")
    html = client.get(f"/instances/{instance}").get_data(as_text=True)
    assert 'data-status="running"' in html and "send-message" not in html
    resp = client.post(f"/instances/{instance}/messages", data={"csrf_token": csrf_token(client, "/inbox"),
                                                               "name": "owner_cancelled"})
    assert resp.status_code == 403


def test_an_unknown_letter_is_404_and_letters_need_a_session(client, auth):
    assert client.get("/letters/1").status_code == 302
    auth.login_as("finance")
    assert client.get("/letters/999").status_code == 404


def test_a_variable_only_a_script_sets_shows_the_label_the_process_gives_it(client, auth, steps):
    """fee_collection's 建立欠费台账 script sets `balance` and `paid_total`, which no form declares: the
    process names them with `label:<variable>` properties, and the page reads those, not the ids."""
    from engine.usecases.deploy import deploy
    from engine.usecases.start_instance import start_instance
    from tests.support import ROOT
    steps.call(deploy, None, files=[("fee_collection.bpmn", (ROOT / "processes/fee_collection.bpmn").read_bytes())])
    started = steps.call(start_instance, "finance", process_id="fee_collection",
                         data={"owner": "张三", "room": "3-2-1102", "period": "2026年1月–12月",
                               "amount_due": 1200, "due_date": "2026-11-30"})
    auth.login_as("finance")
    html = client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    # money as ¥ (issue 11 defect 6: not 1200.0 and 0.0), every instant in local time, history with its year
    assert re.search(r'data-key="balance">欠费余额（元）</dt>\s*<dd>¥1,200.00</dd>', html)
    assert re.search(r'data-key="paid_total">已缴金额合计（元）</dt>\s*<dd>¥0.00</dd>', html)
    data = found(re.search(r'data-testid="instance-data">(.*?)</dl>', html, re.S), "the data on the page").group(1)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", data)
    events = found(re.search(r'data-testid="events">(.*?)</ol>', html, re.S), "the events on the page").group(1)
    assert "2026-11-20 09:00" in events
    assert re.search(r'data-key="amount_due">应缴金额（元）</dt>', html)                  # form labels stay
    assert '<dt data-key="balance">balance</dt>' not in html
