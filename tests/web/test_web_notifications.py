"""Notifications (issue 11): written to the outbox in the step's transaction, shown in the app with
a count in the navigation, sent by the worker over a real local receiver (Aliyun SMS's wire format,
WeCom and DingTalk robots) and a real local SMTP server, with retries, quiet hours and exactly one
notice per recipient and event; the supervisor's board."""
from __future__ import annotations

import re
import socket

import pytest

from engine.usecases.notifications import deliver_notifications, notify_due_tasks
from engine.usecases.notify_settings import save_channel, save_contact
from engine.usecases.runner import handle
from storage.models import Notification
from tests.support import found
from tests.tools.notify_receiver import receiving, sms_settings
from tests.web.conftest import csrf_token


@pytest.fixture
def receiver():
    with receiving() as r:
        yield r


def configure_sms(steps, receiver, **contact):
    steps.call(save_channel, "admin", name="sms", kind="sms", enabled=True, settings=sms_settings(receiver))
    steps.call(save_contact, "admin", user_name="engineering", phone="13800001234", email="",
               quiet_from=contact.get("quiet_from", ""), quiet_to=contact.get("quiet_to", ""))


def outbox(db, **where):
    with db.uow(readonly=True) as uow:
        q = uow.session.query(Notification).filter_by(**where).order_by(Notification.id)
        return [(n.kind, n.recipient, n.channel, n.sent_at is not None, n.attempts) for n in q]


def deliver(steps):
    return handle(steps.db, deliver_notifications, actor=None, clock=steps.clock)


def test_a_new_task_reaches_its_group_in_the_app_and_by_sms_through_the_provider(steps, receiver, client, auth):
    configure_sms(steps, receiver)
    _, repair = steps.to_repair()
    # written with the step: in-app for every member of engineering, one SMS for the one with a phone
    assert ("new_task", "engineering", "inapp", True, 0) in outbox(steps.db, task_id=repair["id"])
    assert outbox(steps.db, task_id=repair["id"], channel="sms") == [("new_task", "engineering", "sms", False, 0)]
    assert [d.get("sent") for d in deliver(steps)] == ["biz0"]
    (sms,) = receiver.sms()           # the receiver checked Aliyun's signature before accepting it
    assert sms["Action"] == "SendSms" and sms["PhoneNumbers"] == "13800001234" and sms["SignName"] == "物业客服"
    assert "上门维修" in sms["TemplateParam"] and sms["OutId"] == f"task_ready:{repair['id']}"
    assert deliver(steps) == []       # sent once: nothing left
    auth.login_as("engineering")
    page = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'data-testid="nav-notices-count">1<', page)
    listed = client.get("/api/notifications").get_json()
    assert listed["unread"] == 1 and listed["notifications"][0]["title"] == "新任务：上门维修"
    assert listed["notifications"][0]["task"] == repair["id"]
    token = csrf_token(client, "/notifications")
    assert client.post("/api/notifications/read", json={}, headers={"X-CSRFToken": token}).get_json()["unread"] == 0
    assert 'data-testid="nav-notices-count"' not in client.get("/inbox").get_data(as_text=True)


def test_a_failing_provider_never_blocks_the_step_and_is_retried_with_backoff(steps, receiver):
    configure_sms(steps, receiver)
    receiver.fail = 2
    steps.to_repair()                                  # the step commits whatever the provider does
    assert "isv.BUSINESS_LIMIT_CONTROL" in deliver(steps)[0]["error"]
    assert deliver(steps) == []                        # not again before its retry (1 minute)
    steps.later(minutes=1, seconds=1)
    assert "error" in deliver(steps)[0]
    steps.later(minutes=1, seconds=1)
    assert deliver(steps) == []                        # the second retry waits 2 minutes
    steps.later(minutes=1)
    assert deliver(steps)[0]["attempts"] == 3 and len(receiver.sms()) == 1


def test_quiet_hours_hold_sms_until_morning_while_the_app_is_told_at_once(steps, receiver):
    steps.later(hours=-1, minutes=-30)                 # 07:30 Shanghai, inside 22:00–08:00
    configure_sms(steps, receiver, quiet_from="22:00", quiet_to="08:00")
    _, repair = steps.to_repair()
    assert ("new_task", "engineering", "inapp", True, 0) in outbox(steps.db, task_id=repair["id"])
    assert deliver(steps) == [] and receiver.sms() == []
    steps.later(minutes=31)
    assert len(deliver(steps)) == 1 and len(receiver.sms()) == 1


def test_due_soon_and_overdue_come_from_the_sweep_once_each(steps):
    _, repair = steps.to_repair()                      # due 2 working hours after the start
    sweep = lambda: handle(steps.db, notify_due_tasks, actor=None, clock=steps.clock)  # noqa: E731
    assert sweep() == 0
    steps.later(hours=1, minutes=31)
    assert sweep() > 0 and sweep() == 0
    steps.later(minutes=30)
    assert sweep() > 0 and sweep() == 0
    kinds = [k for k, who, ch, _, _ in outbox(steps.db, task_id=repair["id"]) if who == "engineering"]
    assert kinds == ["new_task", "due_soon", "overdue"]


def test_group_robots_get_their_json_and_email_goes_over_smtp(steps, receiver):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    mailbox = Inbox()
    with socket.socket() as probe:                 # a free port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        steps.call(save_channel, "admin", name="mail", kind="email", enabled=True,
                   settings={"host": "127.0.0.1", "port": str(port), "sender": "wuye@example.com"})
        steps.call(save_channel, "admin", name="wx", kind="wecom", enabled=True,
                   settings={"endpoint": f"{receiver.url}/wecom", "key": "k1"}, groups=["engineering"])
        steps.call(save_channel, "admin", name="dd", kind="dingtalk", enabled=True,
                   settings={"endpoint": f"{receiver.url}/dingtalk", "access_token": "t1", "secret": "s"})
        steps.call(save_contact, "admin", user_name="engineering", phone="", email="eng@example.com",
                   quiet_from="", quiet_to="")
        steps.to_repair()
        sent = deliver(steps)
        assert sorted(d["channel"] for d in sent if "sent" in d) == ["dd", "dd", "mail", "wx"]
    finally:
        smtp.stop()
    (mail,) = mailbox.messages
    assert mail.rcpt_tos == ["eng@example.com"] and "Message-ID" in mail.content.decode()
    (wecom,) = receiver.robots("/wecom")          # only engineering's group: the robot lists it
    assert wecom["msgtype"] == "text" and wecom["text"]["content"].startswith("新任务：上门维修")
    assert {r["text"]["content"].split("\n")[0] for r in receiver.robots("/dingtalk")} == {"新任务：登记报修",
                                                                                          "新任务：上门维修"}
    dd_query = next(r.query for r in receiver.got if r.path.startswith("/dingtalk"))
    assert dd_query["access_token"] == "t1" and dd_query["sign"] and dd_query["timestamp"]


def test_channel_settings_are_checked_field_by_field_and_kept_as_typed(client, auth):
    auth.login_as("admin")
    token = csrf_token(client, "/notifications/settings")
    resp = client.post("/notifications/settings", data={
        "csrf_token": token, "what": "channel", "name": "sms", "kind": "sms", "enabled": "1",
        "settings.endpoint": "ftp://x", "settings.access_key_id": "LTAI", "settings.access_key_secret": "s",
        "settings.sign_name": "物业", "settings.template_code": "SMS_1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "地址须以 http:// 或 https:// 开头" in page and 'value="LTAI"' in page
    resp = client.post("/notifications/settings", data={"csrf_token": token, "what": "contact", "user": "engineering",
                                                         "phone": "139abc", "email": "", "quiet_from": "",
                                                         "quiet_to": ""})
    assert resp.status_code == 422 and "手机号应为 11 位数字" in resp.get_data(as_text=True)
    auth.logout()
    auth.login_as("engineering")
    assert client.get("/notifications/settings").status_code == 403


def test_the_board_shows_every_groups_work_and_assigning_from_it_notifies_the_person(steps, client, auth):
    _, repair = steps.to_repair()
    steps.later(hours=1, minutes=40)                  # due in 20 minutes
    auth.login_as("cs_supervisor")
    page = client.get("/board").get_data(as_text=True)
    assert 'data-group="engineering"' in page and 'data-testid="board-soon-count">即将到期 1<' in page
    row = rf'data-task-id="{repair["id"]}".*?<select[^>]*>(.*?)</select>'
    options = found(re.search(row, page, re.S), "the task's row on the board").group(1)
    assert 'value="engineering"' in options and 'value="front_desk"' not in options     # its group's members
    resp = client.post(f"/tasks/{repair['id']}/assign", data={"csrf_token": csrf_token(client, "/board"),
                                                              "assignee": "engineering", "next": "/board"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/board")
    assert ("assigned", "engineering", "inapp", True, 0) in outbox(steps.db, task_id=repair["id"])
    auth.logout()
    auth.login_as("engineering")
    assert client.get("/board").status_code == 403

