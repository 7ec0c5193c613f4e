"""工作日历 in a real browser (Debian's Chromium): the banner a supervisor and the admin see while
the next 60 days reach 2027 with no official data, a deadline counted over such a day marked 预估 on
the task, and the admin pasting the 2027 notice, previewing the changed days and saving it — on a
desktop and a phone screen, with screenshots under build/screenshots/<size>/calendar-*.png.

The session's shared server is left alone (saving a year changes every deadline on it): these tests
run their own server (one per screen size) on their own database."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, serving
from tests.browser.test_browser import Shooter
from tests.support import ROOT

pytestmark = pytest.mark.browser

NOTICE = (ROOT / "tests" / "calendar_data" / "notice_2027.csv").read_text("utf-8")
LATE_DECEMBER = "2026-12-31T16:00:00+08:00"       # a Thursday: a 2-working-hour deadline reaches 2027


@pytest.fixture
def calendar_app(tmp_path_factory) -> Iterator[LiveApp]:
    from engine.usecases.deploy import deploy

    base = tmp_path_factory.mktemp("calendar-browser")
    with serving(base, start=LATE_DECEMBER, demo=True, simulation=True, processes_dir=base) as app:
        app.call(deploy, "admin",
                 files=[("timer_deadline.bpmn", (ROOT / "tests" / "bpmn" / "timer_deadline.bpmn").read_bytes())])
        yield app


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_banner_the_estimate_and_the_admin_entering_2027(browser, browser_context_args, calendar_app, size):
    from engine.usecases.calendar import calendar_check
    from engine.usecases.start_instance import start_instance
    assert calendar_app.call(calendar_check, "admin")["ok"] is False
    calendar_app.call(start_instance, "dispatcher", process_id="deadline_check",
                      data={"received_at": LATE_DECEMBER})
    s = Shooter(browser, browser_context_args, calendar_app, size)
    web, page = s.web, s.web.page
    try:
        web.login("dispatcher")                                    # staff: the estimate, not the banner
        expect(page.get_by_test_id("due-estimated").first).to_have_text("预估")
        expect(page.get_by_test_id("calendar-banner")).to_have_count(0)
        s.shoot("calendar-1-estimated-deadline")
        web.logout()

        web.login("cs_supervisor")
        expect(page.get_by_test_id("calendar-banner")).to_contain_text("2027-01-01")
        expect(page.get_by_test_id("calendar-banner")).to_contain_text("请系统管理员录入")
        s.shoot("calendar-2-supervisor-banner")
        web.logout()

        web.login("admin")
        page.get_by_test_id("calendar-banner").get_by_role("link").click()
        expect(page.get_by_test_id("calendar-check")).to_contain_text("缺少 2027-01-01 起")
        page.locator("#calendar-text").fill(NOTICE)
        page.locator("#calendar-source").fill("国务院办公厅关于2027年部分节假日安排的通知")
        page.get_by_test_id("calendar-preview-button").click()
        expect(page.get_by_test_id("change-2027-02-08")).to_contain_text("休息")
        expect(page.get_by_test_id("change-2027-02-20")).to_contain_text("上班")
        expect(page.get_by_test_id("deadlines-affected")).to_contain_text("保持原定时间")
        s.shoot("calendar-3-preview")
        page.get_by_test_id("calendar-save").click()
        expect(page.get_by_test_id("flash")).to_contain_text("已保存工作日历第 2 版：2027 年")
        expect(page.get_by_test_id("calendar-banner")).to_have_count(0)
        expect(page.get_by_test_id("calendar-year")).to_contain_text("调休上班")
        s.shoot("calendar-4-saved")
    finally:
        s.close()
