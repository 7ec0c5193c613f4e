"""The auditor's walk (issue 10, "done when"): quality logs in, finds a late complaint by the owner's
phone number, sees who missed which deadline and the penalty, steps through it on the diagram with
the data as recorded at each step, re-executes it to "matches", downloads an evidence pack that
verifies offline, and exports the month's report to Excel. Its own server and database: the walk
moves the clock four working days on so the demo complaints' deadlines pass, which the session's
shared server must not see. Screenshots of each page at desk and phone size."""
from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from engine.audit import offline
from engine.usecases.timers import fire_due_timers
from tests.browser.conftest import LiveApp, Web, serving
from tests.browser.test_browser import Shooter

PHONE_NUMBER = "13800000001"          # 张先生, 3-2-1102: one of the three demo complaints


@pytest.fixture(scope="module")
def late_app(tmp_path_factory) -> Iterator[LiveApp]:
    with serving(tmp_path_factory.mktemp("auditor"), demo=True, simulation=True) as app:
        app.clock.advance(timedelta(days=4))              # Tuesday: the intake deadlines have passed
        fire_due_timers(app.db, clock=app.clock)
        yield app


def _walk(web: Web, shoot, tmp_path) -> None:
    page = web.page
    web.login("quality")
    page.get_by_role("link", name="历史回放").click()
    shoot("a1-history-search")
    page.locator("#hs-phone").fill(PHONE_NUMBER)
    page.locator("#hs-violation").select_option("yes")
    page.locator("#hs-submit").click()
    cards = page.get_by_test_id("history-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("3-2-1102")
    cards.first.get_by_role("link").click()
    expect(page.get_by_test_id("history-title")).to_contain_text("的历史")
    violations = page.get_by_test_id("history-violations")
    # which deadline, who held the work (real name and user name), and the penalty
    expect(violations.locator("li").first).to_contain_text(re.compile(r"C\d+ .* · 责任人 \S+（\S+） · 罚款 ¥\d+"))
    expect(page.locator('[data-testid="history-events"] tr[data-type="violation"]').first).to_be_visible()
    expect(page.get_by_test_id("history-events")).to_contain_text("2026-11-20")
    shoot("a2-history-instance")

    page.locator("#open-replay").click()
    diagram = page.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-rendered", "true", timeout=20_000)     # the complaint's is large
    expect(page.get_by_test_id("step-label")).to_contain_text("第 1 /")
    expect(page.locator('#step-data tr[data-field="phone"]')).to_contain_text(PHONE_NUMBER)
    for _ in range(3):
        page.locator("#step-next").click()
    expect(page.get_by_test_id("step-label")).to_contain_text("第 4 /")
    expect(page.locator("#diagram .djs-element.wuye-active").first).to_be_attached()
    last = int(page.locator("#step-slider").get_attribute("max") or "0")
    page.locator("#step-slider").fill(str(last))
    expect(page.get_by_test_id("step-label")).to_contain_text(f"第 {last + 1} / {last + 1} 步")
    expect(page.get_by_test_id("step-event")).to_contain_text("2026-11-24")            # after the deadlines passed
    page.locator("#step-prev").click()
    expect(page.get_by_test_id("step-label")).to_contain_text(f"第 {last} /")
    shoot("a3-replay")
    page.go_back()

    page.locator("#reexecute").click()
    expect(page.get_by_test_id("replay-result")).to_contain_text("重新执行结果与记录一致")
    with page.expect_download(timeout=60_000) as got:                  # a form post answered by a file
        page.locator("#download-evidence").click(no_wait_after=True)
    pack = tmp_path / "pack.pdf"
    got.value.save_as(pack)
    assert offline.main([str(pack), "--key", os.environ["WUYE_AUDIT_KEY"] + ".pub"]) == 0

    page.get_by_role("link", name="报表").click()
    expect(page.get_by_test_id("timeliness")).to_contain_text("投诉处理及时率")
    expect(page.locator('canvas[data-chart="people"]')).to_have_attribute("data-rendered", re.compile(r"[1-9]"))
    shoot("a4-reports")
    with page.expect_download() as got:
        page.locator("#download-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).active
    assert next(sheet.iter_rows(values_only=True)) == ("部分", "项目", "数值", "目标", "说明")
    rows = list(sheet.iter_rows(values_only=True))
    assert any(row[0] == "违规（按责任人）" for row in rows) and any(row[0] == "违规（按部门）" for row in rows)
    assert any(row[0] == "投诉（按楼栋）" and row[1] == "3" for row in rows)           # 3-2-1102's building


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_auditor_walks_from_a_phone_number_to_the_evidence_and_the_excel_report(browser, browser_context_args,
                                                                                   late_app, size, tmp_path):
    shooter = Shooter(browser, browser_context_args, late_app, size)
    try:
        _walk(shooter.web, shooter.shoot, tmp_path)
    finally:
        shooter.close()
