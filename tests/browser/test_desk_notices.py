"""The desk hears of its work (issue 11), in the browser: a complaint dispatched to engineering
reaches the engineer as an SMS (captured by a real local receiver speaking Aliyun SMS's wire format,
sent by the timer loop's worker) and as an in-app notice counted in the navigation, which opens the
task; a day later the supervisor's board shows the C7 escalation overdue, with who holds it and the
members it may be handed to. Screenshots at desk and phone size under build/screenshots/notices/.

Its own server (serving()): it moves the clock a day on, which the shared server's tests must not see."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cli.timer_loop import TimerLoop
from engine.clock import parse_instant
from engine.usecases.notify_settings import save_channel, save_contact
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from tests.browser.conftest import SCREENSHOTS, LiveApp, Web, serving, watch_context
from tests.support import PROCESSES
from tests.tools.notify_receiver import Receiver, receiving, sms_settings

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def notice_app(tmp_path_factory) -> Iterator[LiveApp]:
    base = tmp_path_factory.mktemp("notices")
    processes = base / "processes"          # the complaint alone (and its rule tables): a quicker init
    processes.mkdir()
    for name in ("complaint.bpmn", "penalties.json", "move_in_desks.json", "case_library.json"):
        shutil.copy(PROCESSES / name, processes)
    with serving(base, demo=True, simulation=True, processes_dir=processes) as app:
        yield app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def shoot(web: Web, name: str) -> None:
    page = web.page
    width = page.viewport_size["width"] if page.viewport_size else 0
    if width == PHONE["width"]:
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll <= width + 1, f"{name}: {scroll}px wide on a {width}px screen"
    folder = SCREENSHOTS / "notices" / ("phone" if width == PHONE["width"] else "desk")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_engineer_gets_an_sms_and_a_notice_and_the_board_shows_an_overdue_escalation(
        notice_app, receiver, page, browser, browser_context_args, watch):
    app = notice_app
    app.call(save_channel, "admin", name="sms", kind="sms", enabled=True, settings=sms_settings(receiver))
    app.call(save_contact, "admin", user_name="engineering", phone="13800001234", email="", quiet_from="",
             quiet_to="")
    started = app.call(start_instance, "dispatcher", process_id="complaint", data={
        "complainant": "周女士", "room": "9-1-0901", "phone": "13900009999", "channel": "phone",
        "content": "卫生间天花板漏水", "received_at": "2026-11-20T09:00:00+08:00"})
    ready = app.call(complete_task, "dispatcher", task_id=started["ready"][0]["id"], data={"receiver": "调度员小王"})
    classify = next(t["id"] for t in ready["ready"] if t["name"] == "classify")
    classified = app.call(complete_task, "butler", task_id=classify, data={
        "complaint_type": "valid", "severity": "general", "category": "other", "responsible_dept": "engineering"})
    accept = next(t for t in classified["ready"] if t["name"] == "accept_engineering")
    assert accept["due_at"], accept                           # accepting has a deadline (C4: 2 h from the report)
    due = parse_instant(accept["due_at"])
    app.clock.advance(due - timedelta(minutes=20) - app.clock.now())  # the engineer has not accepted yet: 20 min left
    TimerLoop(app.db, app.clock).sweep()                      # the worker's round: the outbox is sent
    sms = [q for q in receiver.sms() if q["PhoneNumbers"] == "13800001234" and "9-1-0901" in q["TemplateParam"]]
    # the new task, and (accepting is due within 20 minutes) its due-soon reminder: each exactly once
    assert sorted(q["OutId"].split(":")[0] for q in sms) == ["due_soon", "task_ready"]
    assert any("新任务：接单并联系业主" in q["TemplateParam"] for q in sms)

    web = Web(page, app)
    page.set_default_timeout(10_000)
    web.login("engineering")
    count = page.get_by_test_id("nav-notices-count")
    expect(count).to_have_text(re.compile(r"^[1-9]"))
    page.locator("#nav-notices").click()
    notice = page.get_by_test_id("notification").filter(has_text="新任务：接单并联系业主（工程部）").filter(
        has_text="9-1-0901")
    expect(notice).to_have_count(1)
    shoot(web, "01-notifications")
    notice.get_by_test_id("notification-link").click()
    expect(page).to_have_url(re.compile(r"/tasks/"))
    expect(page.locator("h1")).to_contain_text("接单并联系业主")
    web.logout()

    loop = TimerLoop(app.db, app.clock)
    app.clock.advance(timedelta(hours=24, minutes=1))       # C7: 24 h without a result: escalated
    loop.sweep()
    app.clock.advance(timedelta(hours=2, minutes=1))        # and the supervisor's own 2 h pass
    loop.sweep()
    web.login("cs_supervisor")
    page.locator("#nav-board").click()
    row = page.locator('[data-testid="board-task"][data-state="overdue"]').filter(
        has=page.get_by_test_id("board-escalation")).filter(has_text="9-1-0901")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("主管跟进")
    expect(row.get_by_test_id("board-holder")).to_have_text("未认领")
    expect(row.get_by_test_id("board-assignee").locator("option[value='cs_supervisor']")).to_have_count(1)
    shoot(web, "02-board")
    phone = browser.new_context(**{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True})
    phone_watch = watch_context(phone)
    try:
        small = Web(phone.new_page(), app)
        small.login("cs_supervisor")
        small.go("/board")
        shoot(small, "03-board-phone")
        small.go("/notifications")
        expect(small.page.get_by_test_id("notification").filter(has_text="升级")).not_to_have_count(0)
        shoot(small, "04-notifications-phone")
    finally:
        phone.close()
    phone_watch.check()
