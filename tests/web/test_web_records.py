"""The manuals' record forms as printable pages (webforms/records.py): 《物业接待记录》 of a
reception, 《钥匙领用登记表》 of a key loan and 《物品寄存委托书》 of a deposit, filled from what each
instance recorded, linked from the instance page; none for a process without one."""
from __future__ import annotations

import re

from engine.usecases.deploy import deploy
from engine.usecases.instances import show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import claim_task, complete_task
from tests.support import PROCESSES


def _deploy(steps, *names: str) -> None:
    steps.call(deploy, None, files=[(n, (PROCESSES / n).read_bytes()) for n in names])


def _work(steps, result: dict, name: str, user: str, data: dict) -> dict:
    task = next(t for t in result["ready"] if t["name"] == name)
    steps.call(claim_task, user, task_id=task["id"])
    return steps.call(complete_task, user, task_id=task["id"], data=data)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_reception_record_shows_the_visit_its_handling_and_the_follow_up(client, auth, steps):
    _deploy(steps, "reception.bpmn")
    started = steps.call(start_instance, "front_desk", process_id="reception",
                         data={"visitor": "陈女士", "room": "2-1-0602", "contact": "13900000001", "channel": "visit",
                               "matter": "车库道闸<b>很慢</b>"})
    done = _work(steps, started, "analyse", "front_desk", {"handling": "department", "department": "engineering"})
    done = _work(steps, done, "handle_engineering", "engineering",
                 {"contacted": True, "dept_outcome": "done", "dept_result": "已调整道闸"})
    _work(steps, done, "follow_up", "front_desk", {"satisfied": True, "follow_up_note": "顾客满意"})
    auth.login_as("front_desk")
    page = client.get(f"/instances/{started['instance']}")
    assert "打印《物业接待记录》" in page.get_data(as_text=True)
    resp = client.get(f"/instances/{started['instance']}/record")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    text = _text(html)
    assert "物业接待记录" in text and "陈女士" in text and "来访" in text and "交相关部门落实" in text
    assert "工程部" in text and "已调整道闸" in text and "顾客满意" in text and "已完成" in text
    assert "<b>很慢</b>" not in html and "&lt;b&gt;很慢&lt;/b&gt;" in html


def test_the_key_record_has_the_loan_return_and_loss_columns(client, auth, steps):
    _deploy(steps, "key_loan.bpmn")
    started = steps.call(start_instance, "front_desk", process_id="key_loan",
                         data={"borrower": "刘工", "borrower_dept": "engineering", "contact": "13700000001",
                               "key_no": "B2-03", "key_name": "水泵房", "quantity": 1, "purpose": "检修",
                               "return_by": "2026-11-20T17:30:00+08:00"})
    done = _work(steps, started, "approve", "dept_supervisor", {"approved": True, "approver": "王主管"})
    _work(steps, done, "lend", "front_desk", {"handed_quantity": 1})
    auth.login_as("front_desk")
    text = _text(client.get(f"/instances/{started['instance']}/record").get_data(as_text=True))
    assert "钥匙领用登记表" in text and "钥匙借用登记栏" in text and "钥匙遗失和配制栏" in text
    assert "B2-03" in text and "王主管" in text and "2026-11-20 17:30" in text
    assert "借出时间 / 发放人 2026-11-20 09:00 front_desk" in text      # a time a script recorded, in local time


def test_the_deposit_record_carries_the_disclaimer(client, auth, steps):
    _deploy(steps, "parcel_storage.bpmn")
    started = steps.call(start_instance, "front_desk", process_id="parcel_storage",
                         data={"kind": "deposit", "owner": "孙女士", "room": "3-1-0302", "phone": "13600000002",
                               "items": "钥匙", "quantity": 1, "valuable": True, "sealed": True, "labelled": True,
                               "collector_name": "孙小明", "collector_phone": "13600000003",
                               "disclaimer_signed": True})
    auth.login_as("front_desk")
    text = _text(client.get(f"/instances/{started['instance']}/record").get_data(as_text=True))
    assert "物品寄存委托书" in text and "与物业公司不承担相关责任" in text and "孙小明" in text


def test_a_process_without_a_record_form_has_no_record_page(client, auth, steps):
    started = steps.start_visit()
    auth.login_as("front_desk")
    assert client.get(f"/instances/{started['instance']}/record").status_code == 404
    assert "打印《" not in client.get(f"/instances/{started['instance']}").get_data(as_text=True)


def test_an_outsider_may_not_read_a_record(client, auth, steps):
    _deploy(steps, "parcel_storage.bpmn")
    started = steps.call(start_instance, "front_desk", process_id="parcel_storage",
                         data={"kind": "mail", "owner": "赵先生", "room": "6-2-1501", "phone": "13600000001",
                               "items": "快递", "quantity": 1, "mail_no": "SF1", "sender_signed": True})
    auth.login_as("legal")
    assert client.get(f"/instances/{started['instance']}/record").status_code == 403


def test_the_tennis_record_shows_the_booking_and_the_ticket(client, auth, steps):
    _deploy(steps, "tennis_booking.bpmn")
    started = steps.call(start_instance, "front_desk", process_id="tennis_booking",
                         data={"booker": "周先生", "room": "1-1-0101", "phone": "13500000001", "court": "court_2",
                               "play_at": "2026-11-21T19:00:00+08:00", "hours": 2, "people": 4})
    _work(steps, started, "sell", "front_desk", {"amount_paid": 80.0, "ticket_no": "WQ-0001"})
    auth.login_as("front_desk")
    text = _text(client.get(f"/instances/{started['instance']}/record").get_data(as_text=True))
    assert "网球场订场记录" in text and "2026-11-21 19:00" in text and "2号场" in text and "WQ-0001" in text


def test_the_hot_water_notices_are_one_per_household_of_the_ledger(client, auth, steps, clock):
    from datetime import timedelta

    from engine.usecases.timers import fire_due_timers
    _deploy(steps, "hot_water_billing.bpmn")
    started = steps.call(start_instance, "butler", process_id="hot_water_billing", data={})   # ahead, by hand
    auth.login_as("butler")
    assert "本季尚未抄表" in _text(client.get(f"/instances/{started['instance']}/record").get_data(as_text=True))
    clock.advance(timedelta(days=35, seconds=1))                # 2026-12-25 09:00:01, the reading opens
    started = next(f for f in fire_due_timers(steps.db, clock=clock) if f.get("scheduled_start"))
    opened = steps.call(show_instance, "butler", instance_id=started["instance"])
    _work(steps, opened, "read_meters", "butler", {"unit_price": 25.0, "owners_notified": True,
                                                   "meter_ledger": "3-2-1102 张三 120.5 131\n5-1-0801 李四 88 95.5"})
    html = client.get(f"/instances/{started['instance']}/record").get_data(as_text=True)
    assert html.count('data-testid="record-notice"') == 2
    text = _text(html)
    assert "张三（3-2-1102）" in text and "262.5" in text and "李四（5-1-0801）" in text and "450.0" in text


def test_the_quality_record_carries_the_rectification_notice_when_there_are_findings(client, auth, steps, clock):
    from datetime import timedelta

    from engine.usecases.timers import fire_due_timers
    _deploy(steps, "quality_check.bpmn")
    clock.advance(timedelta(days=1, seconds=1))     # just past the next 09:00: the sweep opens that day's check
    started = next(f for f in fire_due_timers(steps.db, clock=clock) if f.get("scheduled_start"))
    opened = steps.call(show_instance, "quality_officer", instance_id=started["instance"])
    inspect = [t for t in opened["ready"] if t["name"] == "inspect"]
    _work(steps, {"ready": inspect[-1:]}, "inspect", "quality_officer",
          {"area": "signage", "findings": "消防通道标识缺失", "has_findings": True, "responsible_dept": "engineering",
           "rectify_by": "2026-11-23T17:30:00+08:00"})
    auth.login_as("quality_officer")
    text = _text(client.get(f"/instances/{started['instance']}/record").get_data(as_text=True))
    assert "品质检查记录表" in text and "品质检查整改通知单" in text and "工程部" in text and "2026-11-23 17:30" in text


def test_the_visit_record_lists_every_visit_of_the_month(client, auth, steps, clock):
    from datetime import timedelta

    from engine.usecases.timers import fire_due_timers
    _deploy(steps, "owner_visit.bpmn")
    clock.advance(timedelta(days=11, seconds=1))                # 2026-12-01 09:00:01: the month's plan opens
    started = next(f for f in fire_due_timers(steps.db, clock=clock) if f.get("scheduled_start"))
    done = steps.call(show_instance, "butler", instance_id=started["instance"])
    done = _work(steps, done, "plan", "butler", {"moved_in_households": 20, "planned_visits": 8,
                                                 "phone_visits_planned": 0, "plan_text": "周末登门"})
    done = _work(steps, done, "approve", "cs_supervisor", {"plan_approved": True})
    for room, more in (("3-2-1102", True), ("5-1-0801", False)):
        done = _work(steps, done, "visit", "butler", {"visit_room": room, "visit_owner": "业主", "visit_way": "door",
                                                      "on_cleaning": "楼道干净", "more_visits": more})
    auth.login_as("butler")
    html = client.get(f"/instances/{started['instance']}/record").get_data(as_text=True)
    assert html.count('data-testid="record-visit"') == 2
    text = _text(html)
    assert "业主走访工作计划" in text and "3-2-1102" in text and "5-1-0801" in text and "登门走访" in text


def test_the_monthly_complaint_report_shows_the_figures_and_the_sign_off(client, auth, steps, clock):
    from engine.usecases.builtin_topics import serve_builtin_topics
    _deploy(steps, "monthly_complaint_report.bpmn")
    started = steps.call(start_instance, "cs_supervisor", process_id="monthly_complaint_report", data={})  # by hand
    serve_builtin_topics(steps.db, clock=clock)             # wuye.report: last month's figures into the instance
    opened = steps.call(show_instance, "cs_supervisor", instance_id=started["instance"])
    _work(steps, opened, "sign_off", "cs_supervisor", {"review_opinion": "同意报送", "signed_off": True})
    auth.login_as("cs_supervisor")
    assert "打印《投诉处理情况月报表》" in client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    text = _text(client.get(f"/instances/{started['instance']}/record").get_data(as_text=True))
    month = opened["data"]["report_month"]
    assert f"调度中心 {month} 投诉处理情况" in text and "当月受理投诉（宗） 0" in text
    assert "当月无投诉 " in text and "未达标" not in text
    assert "同意报送" in text and "已签字报送" in text
