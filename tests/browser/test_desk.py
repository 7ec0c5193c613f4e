"""A morning at the service desk in the browser (Debian's Chromium), at desk (1280×800) and phone
(390×844) size: the supervisor imports the owner register from a sheet (preview, then import), the
front desk finds an owner by the last four digits of the phone, starts a repair with the room looked
up and the owner, phone and handover date filled in from the register, and attaches a photo; the
case is on the task page and the inbox card (phone masked on the card, a tel: link on the task for
those who handle it); finance records a payment on a fee case from its page. Screenshots under
build/screenshots/desk/.

These tests run on their own server and database: once the register holds rooms, every start form
checks its room against it, which the other browser tests' rooms would not pass."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _STATUS_LINE, SCREENSHOTS, LiveApp, Web, serving, watch_context

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SHEET = ("room,building,unit,owner_name,phone,handover_date,move_in_date,area\n"
         "21-2-1102,21,2,周丽华,13812345678,2024-06-30,2024-08-01,89.5\n"
         "21-2-1103,21,2,吴建国,13955556666,2024-06-30,,102\n")
BAD_SHEET = SHEET + "21栋3单元501,21,3,郑强,139abc,2099-01-01,,\n"


@pytest.fixture(scope="module")
def desk_app(tmp_path_factory) -> Iterator[LiveApp]:
    with serving(tmp_path_factory.mktemp("desk"), demo=True, simulation=True) as app:
        yield app


@pytest.fixture
def screen(browser, browser_context_args, desk_app):
    """``screen("desk"|"phone")``: a watched context of that size; every page must fit a phone's width."""
    opened = []

    def open_(size: str) -> Web:
        extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
        context = browser.new_context(**{**browser_context_args, "viewport": DESK if size == "desk" else PHONE,
                                         **extra})
        watch = watch_context(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        opened.append((context, watch))
        return Web(page, desk_app)

    yield open_
    for context, watch in opened:
        context.close()
        # a room the register lacks is the API's deliberate 404, which Chromium logs like any failed load
        watch.console_errors[:] = [(text, url) for text, url in watch.console_errors
                                   if not (_STATUS_LINE.match(text) and "/api/rooms/" in url)]
        watch.check()


def shoot(web: Web, name: str) -> None:
    page = web.page
    page.evaluate("document.fonts.ready")
    width = page.viewport_size["width"] if page.viewport_size else 0
    if width == PHONE["width"]:
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll <= width + 1, f"{name}: {scroll}px wide on a {width}px screen"
    folder = SCREENSHOTS / "desk" / ("phone" if width == PHONE["width"] else "desk")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_supervisor_previews_a_sheet_sees_each_bad_row_and_then_imports_the_good_one(screen, tmp_path):
    web = screen("desk")
    web.login("cs_supervisor")
    web.page.locator("#nav-register").click()
    web.page.get_by_test_id("register-import-link").click()
    bad = tmp_path / "业主表（有误）.csv"
    bad.write_text(BAD_SHEET, encoding="utf-8")
    web.page.locator("#register-file").set_input_files(str(bad))
    web.page.get_by_test_id("register-preview").click()
    errors = web.page.get_by_test_id("preview-errors")
    expect(errors).to_be_visible()
    expect(errors.locator("tr[data-row='4']")).to_have_count(3)          # room, phone, handover date
    expect(web.page.get_by_test_id("register-confirm")).to_have_count(0)
    shoot(web, "01-register-preview-errors")
    good = tmp_path / "业主表.csv"
    good.write_text(SHEET, encoding="utf-8")
    web.page.locator("#register-file").set_input_files(str(good))
    web.page.get_by_test_id("register-preview").click()
    expect(web.page.get_by_test_id("preview-counts")).to_contain_text("新增 2")
    expect(web.page.locator("#register-file")).to_have_attribute("data-previewed", "业主表.csv")   # still chosen
    web.page.get_by_test_id("register-confirm").click()
    expect(web.page.get_by_test_id("flash")).to_contain_text("已导入 2 个房号")
    row = web.page.locator("tr[data-room='21-2-1102']")
    expect(row).to_contain_text("周丽华")
    expect(row).to_contain_text("138****5678")
    shoot(web, "02-register-list")


def test_the_front_desk_finds_the_owner_by_the_phone_starts_a_repair_attaches_a_photo_and_finance_records_a_fee(
        screen, desk_app, tmp_path):
    from PIL import Image

    from engine.usecases.register import import_register
    from engine.usecases.start_instance import start_instance
    desk_app.call(import_register, "cs_supervisor", content=SHEET.encode())     # as the supervisor left it
    web = screen("desk")
    web.login("front_desk")
    web.go("/start/repair")
    web.field("room").fill("21-9-999")
    web.page.get_by_test_id("room-lookup-button").click()
    expect(web.page.get_by_test_id("room-lookup-result")).to_contain_text("登记册中没有房号")
    # an owner calls: the last four digits of the phone in the search box find them
    web.page.get_by_test_id("nav-search").fill("5678")
    web.page.get_by_test_id("nav-search").press("Enter")
    owner = web.page.locator('[data-testid="owner-result"][data-room="21-2-1102"]')
    expect(owner).to_contain_text("周丽华")
    expect(owner).to_contain_text("138****5678")
    shoot(web, "03a-search-by-phone")
    owner.get_by_test_id("start-repair").click()
    expect(web.page.get_by_test_id("room-lookup-result")).to_contain_text("周丽华")
    expect(web.field("room")).to_have_value("21-2-1102")
    expect(web.field("reporter")).to_have_value("周丽华")
    expect(web.field("phone")).to_have_value("13812345678")
    expect(web.field("delivered_on")).to_have_value("2024-06-30")
    web.field("content").fill("卫生间天花板渗水，楼上可能漏水")
    web.field("location").select_option("indoor")
    web.field("category").select_option("waterproofing")
    shoot(web, "03-repair-start-filled")
    web.page.get_by_test_id("start-submit").click()
    case = web.page.get_by_test_id("case")
    expect(case).to_contain_text("周丽华")
    expect(case).to_contain_text("卫生间天花板渗水")
    expect(case.get_by_test_id("case-tel")).to_have_attribute("href", "tel:13812345678")
    # the photo of the ceiling, from the phone's camera (a file here)
    photo = tmp_path / "天花板.jpg"
    Image.new("RGB", (1600, 1200), (200, 190, 170)).save(photo, "JPEG")
    web.page.get_by_test_id("upload-file").set_input_files(str(photo))
    web.page.get_by_test_id("upload-submit").click()
    expect(web.page.get_by_test_id("flash")).to_contain_text("已上传附件 天花板.jpg")
    thumb = web.page.get_by_test_id("attachment").locator("img")
    expect(thumb).to_have_count(1)
    assert web.page.evaluate("el => el.naturalWidth", thumb.element_handle()) == 320
    shoot(web, "04-task-with-case")
    # finance records a payment on a fee case, from its page: no JSON
    fee = desk_app.call(start_instance, "finance", process_id="fee_collection", data={
        "owner": "吴建国", "room": "21-2-1103", "period": "2026年度", "amount_due": 3580.5, "due_date": "2026-11-30"})
    cashier = screen("phone")
    cashier.login("finance")
    cashier.go(f"/instances/{fee['instance']}")
    form = cashier.page.get_by_test_id("payment-form")
    form.locator("summary").click()
    cashier.page.get_by_test_id("pay-amount").fill("3580.5")
    cashier.page.get_by_test_id("pay-channel").select_option(label="微信")
    cashier.page.get_by_test_id("record-payment").click()
    expect(cashier.page.get_by_test_id("pay-receipt-error")).to_contain_text("收据编号")     # kept what was typed
    expect(cashier.page.get_by_test_id("pay-amount")).to_have_value("3580.5")
    cashier.page.get_by_test_id("pay-receipt").fill("WX-20261120-0001")
    shoot(cashier, "05a-payment-form-phone")
    cashier.page.get_by_test_id("record-payment").click()
    expect(cashier.page.get_by_test_id("payment")).to_contain_text("¥3,580.50 · 微信 · 收据 WX-20261120-0001")
    shoot(cashier, "05b-payment-recorded-phone")


def test_on_a_phone_the_card_masks_the_number_and_the_task_offers_a_call_button(screen, desk_app):
    from engine.usecases.register import import_register
    from engine.usecases.start_instance import start_instance
    desk_app.call(import_register, "cs_supervisor", content=SHEET.encode())      # again: the rooms are updated
    desk_app.call(start_instance, "dispatcher", process_id="complaint", data={
        "complainant": "吴建国", "room": "21-2-1103", "phone": "13955556666", "channel": "phone",
        "content": "电梯晚上异响，影响休息", "received_at": desk_app.clock.now().isoformat()})
    web = screen("phone")
    web.login("dispatcher")
    web.go("/inbox?room=21-2-1103")
    card = web.page.locator('[data-testid="task-card"][data-task-name="intake"]')
    expect(card.get_by_test_id("case-line")).to_contain_text("139****6666")
    expect(card.get_by_test_id("case-line")).to_contain_text("电梯晚上异响")
    shoot(web, "05-inbox-card-phone")
    card.get_by_test_id("task-link").click()
    tel = web.page.get_by_test_id("case").get_by_test_id("case-tel")
    expect(tel).to_have_attribute("href", "tel:13955556666")
    box = tel.bounding_box()
    assert box is not None and box["height"] >= 30, box          # a button a thumb can press
    shoot(web, "06-task-case-phone")
    web.go("/register?q=21-2")
    shoot(web, "07-register-phone")

