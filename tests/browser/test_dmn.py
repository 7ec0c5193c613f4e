"""The decision table editor at the browser (issue 9, dmn-js 17): a process owner opens the repair
warranty table from 流程设计, tries it on a sample report, breaks a cell and sees it refused by the
sandbox and marked in the table, fixes it (a six-year waterproofing warranty), tries it again and
deploys with a comment; the repair process is rebuilt on the new table. And a Camunda 7 model
imported into the BPMN modeler comes with its Java tasks made external tasks, each marked.

Runs on its own server and database (it deploys a new version of the table)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from engine.usecases.definitions import list_definitions
from tests.browser.conftest import DESKTOP, SCREENSHOTS, LiveApp, Watch, serving
from tests.browser.test_modeler import PHONE_SIZE, login, shot

TABLE = "repair_warranty_definitions"


@pytest.fixture(scope="module")
def owner_app(tmp_path_factory) -> Iterator[LiveApp]:
    with serving(tmp_path_factory.mktemp("dmn"), demo=True) as app:
        yield app


def versions(app: LiveApp) -> dict[str, int]:
    return {d["id"]: d["latest"] for d in app.call(list_definitions, "process_owner")["definitions"]}


def sample(page: Page, category: str, delivered_on: str, reported_at: str) -> None:
    page.get_by_test_id("dmn-input-category").fill(f"{category}")
    page.get_by_test_id("dmn-input-delivered_on").fill(delivered_on)
    page.get_by_test_id("dmn-input-reported_at").fill(reported_at)
    page.get_by_test_id("dmn-try").click()


def cell(page: Page, element_id: str):
    return page.locator(f'#dmn-canvas td[data-element-id="{element_id}"]')


def test_a_process_owner_edits_checks_tries_and_deploys_the_warranty_table(page: Page, owner_app: LiveApp,
                                                                          watch: Watch):
    before = versions(owner_app)
    login(page, owner_app, "process_owner")
    page.goto(owner_app.url + "/modeler/")
    # a scheduled process shows when it starts next (issue 12), at desk and phone size
    expect(page.get_by_test_id("next-start-hot_water_billing")).to_have_text("按计划自动发起，下次：2026-12-25 09:00")
    shot(page, "modeler-next-start-desk")
    page.set_viewport_size(PHONE_SIZE)
    shot(page, "modeler-next-start-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_test_id(f"open-{TABLE}").click()
    expect(page.get_by_test_id("dmn-editor")).to_have_attribute("data-ready", "true", timeout=20_000)
    expect(page.get_by_test_id("dmn-check-ok")).to_be_visible()
    expect(page.locator("#dmn-canvas")).to_contain_text("命中策略")                  # the zh-CN labels
    sample(page, "waterproofing", "2024-06-01", "2029-05-01")
    expect(page.get_by_test_id("dmn-result")).to_have_text('结果：route = "developer"')
    expect(page.get_by_test_id("dmn-matched-rule_waterproofing")).to_contain_text("第 1 行（生效）")
    sample(page, "waterproofing", "2024-06-01", "2029-07-01")                      # past 5 years
    expect(page.get_by_test_id("dmn-result")).to_have_text('结果：route = "engineering"')
    expect(page.get_by_test_id("dmn-matched-rule_out_of_warranty")).to_contain_text("第 7 行（生效）")
    shot(page, "dmn-tried")

    years = cell(page, "rule_waterproofing_day")
    years.click()
    editable = years.locator("[contenteditable]:visible").first
    editable.fill('<= __import__("os")')
    page.get_by_test_id("dmn-check").click()
    expect(page.get_by_test_id("dmn-problems")).to_contain_text(re.compile(
        r'rule_waterproofing_day（第 \d+ 行）：条件单元格无法在沙箱中运行.*__import__'))
    expect(years).to_have_class(re.compile(r"\bdmn-problem\b"))
    page.get_by_test_id("dmn-comment").fill("防水保修期改为 6 年")
    page.get_by_test_id("dmn-deploy").click()
    expect(page.get_by_test_id("dmn-deploy-result")).to_have_text("未部署：请先修正标出的单元格")
    assert versions(owner_app) == before                                           # nothing deployed
    shot(page, "dmn-refused")

    years.click()
    years.locator("[contenteditable]:visible").first.fill("<= add_years(delivered_on, 6)")
    page.get_by_test_id("dmn-check").click()
    expect(page.get_by_test_id("dmn-check-ok")).to_be_visible()
    sample(page, "waterproofing", "2024-06-01", "2029-07-01")                      # within 6 years now
    expect(page.get_by_test_id("dmn-result")).to_have_text('结果：route = "developer"')
    page.get_by_test_id("dmn-deploy").click()
    expect(page.get_by_test_id("dmn-deploy-result")).to_have_text(f"已部署为第 {before[TABLE] + 1} 版")
    after = versions(owner_app)
    assert after[TABLE] == before[TABLE] + 1 and after["repair"] == before["repair"] + 1   # rebuilt on the table
    page.screenshot(path=str(SCREENSHOTS / "modeler" / "dmn-deployed-viewport.png"))

    page.set_viewport_size(PHONE_SIZE)
    page.reload()
    expect(page.get_by_test_id("dmn-editor")).to_have_attribute("data-ready", "true", timeout=20_000)
    shot(page, "dmn-phone")


def test_other_staff_get_403_on_the_decision_table_editor(page: Page, owner_app: LiveApp, watch: Watch):
    login(page, owner_app, "engineering")
    response = page.goto(f"{owner_app.url}/modeler/dmn/{TABLE}/1")
    assert response is not None and response.status == 403


def test_an_imported_camunda_model_has_its_java_tasks_made_external_and_marked(page: Page, owner_app: LiveApp,
                                                                             watch: Watch):
    from tests.support import BPMN_DIR
    login(page, owner_app, "process_owner")
    page.goto(owner_app.url + "/modeler/new")
    expect(page.get_by_test_id("modeler")).to_have_attribute("data-ready", "true", timeout=20_000)
    page.get_by_test_id("import-file").set_input_files(str(BPMN_DIR / "interop" / "java_orders.bpmn"))
    expect(page.get_by_test_id("modeler-status")).to_contain_text("已自动改写 3 个 Java 实现为外部任务", timeout=20_000)
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("已自动改写 · charge")
    expect(problems).to_contain_text("原由Java 类 org.example.ChargeCard实现，已改为外部任务（topic charge）")
    expect(page.locator('#canvas [data-testid="wuye-translated-charge"]')).to_be_visible()
    expect(problems).not_to_contain_text("不能运行 · charge")             # said once, as what was rewritten
    type_ = page.evaluate("() => window.wuyeModeler.get('elementRegistry').get('charge')"
                          ".businessObject.get('camunda:type')")
    assert type_ == "external"
    shot(page, "import-translated")


def test_a_diagram_downloads_as_svg_and_as_png(page: Page, owner_app: LiveApp, watch: Watch, tmp_path):
    login(page, owner_app, "process_owner")
    page.goto(owner_app.url + "/modeler/edit/repair/1")
    expect(page.get_by_test_id("modeler")).to_have_attribute("data-ready", "true", timeout=20_000)
    with page.expect_download(timeout=20_000) as svg:
        page.get_by_test_id("download-svg").click()
    with page.expect_download(timeout=20_000) as png:
        page.get_by_test_id("download-png").click()
    name = svg.value.suggested_filename
    assert name.startswith("repair") and name.endswith(".svg")
    assert png.value.suggested_filename == name.removesuffix(".svg") + ".png"
    svg.value.save_as(tmp_path / "repair.svg")
    png.value.save_as(tmp_path / "repair.png")
    assert (tmp_path / "repair.svg").read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    data = (tmp_path / "repair.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000           # a picture, not an empty canvas
