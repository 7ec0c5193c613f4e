"""The rule tables at the browser (issue 9): a process owner opens the penalty table from 流程设计,
types a bad amount and sees the problem beside that row with everything typed kept, fixes it and
deploys with a comment; the next violation is charged the new amount while the instance charged
before keeps its amount. The pages at desk and phone size (screenshots), the read-only old version,
and 403 for other staff.

Runs on its own server and database (`initialize(demo=True)`, which seeds the rule tables from
processes/), since it deploys new versions the other tests must not see."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from engine.usecases.deploy import deploy
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from engine.usecases.timers import fire_due_timers
from tests.browser.conftest import SCREENSHOTS, LiveApp, Watch, serving
from tests.browser.test_modeler import PHONE_SIZE, login, shot
from tests.support import BPMN_DIR, PROCESSES

CHARGED_BY_TABLE = (BPMN_DIR / "leave_request.bpmn").read_text(encoding="utf-8").replace(
    '<camunda:property name="deadline" value="T1"/>\n          <camunda:property name="penalty" value="30"/>',
    '<camunda:property name="deadline" value="C5"/>')
FILE_C5 = json.loads((PROCESSES / "penalties.json").read_text(encoding="utf-8"))["C5"]["amount"]


@pytest.fixture(scope="module")
def owner_app(tmp_path_factory) -> Iterator[LiveApp]:
    with serving(tmp_path_factory.mktemp("rules"), demo=True) as app:
        yield app


def late_visit(app: LiveApp, room: str) -> int:
    """A visit_request whose repair deadline (C5 of the table) has passed and fired."""
    started = app.call(start_instance, "front_desk", process_id="visit_request", data={"room": room})
    app.call(complete_task, "front_desk", task_id=started["ready"][0]["id"], data={"content": "厨房水管漏水"})
    app.clock.advance(timedelta(days=3))
    handle_timers(app)
    return started["instance"]


def handle_timers(app: LiveApp) -> None:
    from engine.usecases.runner import handle
    handle(app.db, fire_due_timers, actor=None, clock=app.clock)


def charged(page: Page, app: LiveApp, instance: int) -> str:
    page.goto(f"{app.url}/instances/{instance}")
    return page.get_by_test_id("violations").inner_text()


def test_a_penalty_amount_edited_in_the_browser_is_what_the_next_violation_charges(page: Page, owner_app: LiveApp,
                                                                                   watch: Watch):
    assert 'value="C5"' in CHARGED_BY_TABLE
    owner_app.call(deploy, "process_owner", files=[("leave_request.bpmn", CHARGED_BY_TABLE.encode())])
    before = late_visit(owner_app, "9-1-901")
    login(page, owner_app, "process_owner")
    assert f"¥{FILE_C5}" in charged(page, owner_app, before)

    page.goto(owner_app.url + "/modeler/")
    page.get_by_test_id("rule-tables").click()
    expect(page.get_by_test_id("rule-table-penalties")).to_contain_text("第 1 版")
    page.get_by_test_id("edit-penalties").click()
    expect(page.get_by_test_id("current-version")).to_have_text("当前生效：第 1 版")
    shot(page, "rules-penalties-desk")
    row = page.locator('fieldset.rule-row[data-key="C5"]')
    amount = row.locator('input[name$="-amount"]')
    expect(amount).to_have_value(str(FILE_C5))
    amount.fill("八十")
    row.locator('input[name$="-payer"]').fill("投诉处理人（含助理）")
    page.get_by_test_id("comment").fill("C5 扣罚调整为 80 元")
    page.get_by_test_id("deploy").click()

    expect(page.get_by_test_id("refused")).to_contain_text("1 处错误，未部署")
    row = page.locator('fieldset.rule-row[data-key="C5"]')
    expect(row.locator(".field-error")).to_have_text("应为数字")
    expect(row.locator('input[name$="-amount"]')).to_have_value("八十")                 # kept as typed
    expect(row.locator('input[name$="-amount"]')).to_be_focused()                        # where to go on typing
    expect(page.get_by_test_id("problem-list")).to_contain_text("（C5） 金额：应为数字")
    expect(row.locator('input[name$="-payer"]')).to_have_value("投诉处理人（含助理）")
    expect(page.get_by_test_id("comment")).to_have_value("C5 扣罚调整为 80 元")
    shot(page, "rules-penalties-refused")
    page.screenshot(path=str(SCREENSHOTS / "modeler" / "rules-penalties-refused-viewport.png"))
    row.locator('input[name$="-amount"]').fill("80")
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("flash")).to_have_text("已部署为第 2 版")
    expect(page.get_by_test_id("rule-version-2")).to_contain_text("C5 扣罚调整为 80 元")
    expect(page.get_by_test_id("rule-version-2")).to_contain_text("process_owner")

    after = late_visit(owner_app, "9-1-902")
    assert "¥80" in charged(page, owner_app, after)
    assert f"¥{FILE_C5}" in charged(page, owner_app, before)          # what it was charged stays

    page.goto(owner_app.url + "/modeler/rules/penalties?version=1")
    expect(page.get_by_test_id("old-version")).to_contain_text("这是第 1 版（只读）")
    expect(page.locator('fieldset.rule-row[data-key="C5"] input[name$="-amount"]')).to_be_disabled()
    expect(page.get_by_test_id("deploy")).to_have_count(0)


def test_a_row_added_with_the_button_is_deployed_and_the_pages_fit_a_phone(page: Page, owner_app: LiveApp,
                                                                           watch: Watch):
    login(page, owner_app, "process_owner")
    page.goto(owner_app.url + "/modeler/rules/move_in_desks")
    rows = page.locator("fieldset.rule-row")
    count = rows.count()
    page.get_by_test_id("add-row").click()
    expect(rows).to_have_count(count + 1)
    new = rows.nth(count)
    new.locator('input[name$="-key"]').fill("desk_4")
    new.locator('input[name$="-name"]').fill("第四组（19–20号楼）")
    new.locator('input[name$="-buildings"]').fill("18-20")
    page.get_by_test_id("deploy").click()
    expect(page.locator('small.field-error[data-testid$="-buildings"]')).to_contain_text("18号楼已属于")
    fixed = page.locator("fieldset.rule-row").filter(has=page.locator('input[name$="-key"][value="desk_4"]'))
    fixed.locator('input[name$="-buildings"]').fill("19, 20")
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("flash")).to_have_text(re.compile(r"已部署为第 \d+ 版"))
    expect(page.locator('fieldset.rule-row[data-key="desk_4"] input[name$="-buildings"]')).to_have_value("19, 20")

    page.set_viewport_size(PHONE_SIZE)
    for path, name in (("/modeler/rules/", "rules-index-phone"), ("/modeler/rules/case_library", "rules-cases-phone"),
                       ("/modeler/rules/penalties", "rules-penalties-phone")):
        page.goto(owner_app.url + path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE_SIZE["width"], f"{path} is {wide}px wide on a phone"
        shot(page, name)


def test_other_staff_get_403_on_the_rule_tables(page: Page, owner_app: LiveApp, watch: Watch):
    login(page, owner_app, "dispatcher")
    response = page.goto(owner_app.url + "/modeler/rules/penalties")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("流程负责人")
