"""The front desk's procedures of procedures.md §7 in Chromium, on a desktop and a phone: a call
logged from the start form and handed to engineering, a key loan and a parcel started from theirs,
and each one's record form as its printable page (screenshots under build/screenshots/<size>/,
named 3x-…; on the phone no page may scroll sideways)."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from engine.clock import SHANGHAI
from tests.browser.test_browser import VIEWPORTS, Shooter
from tests.support import found


def _fill(web, values: dict[str, str | bool]) -> None:
    for name, value in values.items():
        box = web.page.get_by_test_id(f"field-{name}")
        widget = box.get_attribute("data-widget")
        if isinstance(value, bool):
            web.choose(name, value)
        elif widget == "select":
            web.field(name).select_option(value)
        else:
            web.field(name).fill(value)


def _started_instance(page) -> int:
    link = page.locator('a[href*="/instances/"]').first
    return int(found(re.search(r"/instances/(\d+)", link.get_attribute("href") or ""), "the instance link").group(1))


def test_the_desk_forms_and_their_record_pages_on_a_desktop_and_a_phone(browser, browser_context_args, live_app):
    app = live_app
    for size in VIEWPORTS:
        s = Shooter(browser, browser_context_args, app, size)
        web, page = s.web, s.web.page
        room = "9-1-0901" if size == "desktop" else "9-1-0902"
        web.login("front_desk")
        web.go("/start/reception")
        expect(page.locator("h1")).to_contain_text("客服接待")
        s.shoot("30-reception-start")
        _fill(web, {"visitor": "陈女士", "room": room, "contact": "13900000001", "channel": "visit",
                    "matter": "地下车库出口道闸抬杆很慢"})
        page.get_by_test_id("start-submit").click()
        expect(page.get_by_text("分析并交办").first).to_be_visible()
        instance = _started_instance(page)
        web.open_task("analyse", room)
        s.shoot("31-reception-analyse")
        _fill(web, {"handling": "department", "department": "engineering", "reply": "交工程部检查道闸"})
        web.submit_task()
        web.go(f"/instances/{instance}")
        expect(page.get_by_test_id("record-link")).to_have_text("打印《物业接待记录》")
        web.go(f"/instances/{instance}/record")
        expect(page.get_by_test_id("record-title")).to_have_text("物业接待记录")
        expect(page.get_by_test_id("record-intake")).to_contain_text("陈女士")
        s.shoot("32-reception-record")

        web.go("/start/key_loan")
        s.shoot("33-key-loan-start")
        back_by = (app.clock.now() + timedelta(hours=4)).astimezone(SHANGHAI)
        widget = page.get_by_test_id("field-return_by").get_attribute("data-widget")
        _fill(web, {"borrower": "刘工", "borrower_dept": "engineering", "contact": "13700000001", "key_no": "B2-03",
                    "key_name": "水泵房", "quantity": "1", "purpose": "检修",
                    "return_by": back_by.strftime("%Y-%m-%dT%H:%M" if widget == "datetime" else "%Y-%m-%d")})
        page.get_by_test_id("start-submit").click()
        expect(page.get_by_text("借用部门主管审批").first).to_be_visible()
        loan = _started_instance(page)
        web.go(f"/instances/{loan}/record")
        expect(page.get_by_test_id("record-loan")).to_contain_text("B2-03")
        s.shoot("34-key-loan-record")

        web.go("/start/parcel_storage")
        s.shoot("35-parcel-start")
        _fill(web, {"kind": "deposit", "owner": "孙女士", "room": room, "phone": "13600000002", "items": "入户门钥匙",
                    "quantity": "1", "valuable": True, "sealed": True, "labelled": True, "collector_name": "孙小明",
                    "collector_phone": "13600000003", "disclaimer_signed": True})
        page.get_by_test_id("start-submit").click()
        expect(page.get_by_text("领取签字").first).to_be_visible()
        parcel = _started_instance(page)
        web.go(f"/instances/{parcel}/record")
        expect(page.get_by_test_id("record-disclaimer")).to_contain_text("不承担相关责任")
        s.shoot("36-parcel-record")
        s.close()
