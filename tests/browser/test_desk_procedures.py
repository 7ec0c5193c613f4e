"""The procedures of procedures.md §7 in Chromium, on a desktop and a phone: a call logged from the
start form and handed to engineering, a key loan, a parcel and a tennis booking started from theirs,
the scheduled ones' first task forms, and each one's record form as its printable page (screenshots
under build/screenshots/<size>/, named 3x-… and 4x-…; on the phone no page may scroll sideways)."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from engine.clock import SHANGHAI, parse_instant
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


def _open_first(app, instance: int, name: str) -> str:
    from engine.usecases.instances import show_instance
    return next(t["id"] for t in app.call(show_instance, None, instance_id=instance)["ready"] if t["name"] == name)


def test_the_scheduled_procedures_and_the_tennis_court_on_a_desktop_and_a_phone(browser, browser_context_args,
                                                                                live_app):
    """Tennis from its start form; the three scheduled procedures started by hand (ahead of their schedule),
    their timers fired by moving the clock to 25 December (this runs after every other browser test
    that reads the clock), their first task forms and record pages."""
    from engine.usecases.start_instance import start_instance
    from engine.usecases.tasks import claim_task, complete_task
    from engine.usecases.timers import fire_due_timers
    app = live_app
    started = {p: app.call(start_instance, user, process_id=p, data={})["instance"]
               for p, user in (("hot_water_billing", "butler"), ("owner_visit", "butler"),
                               ("quality_check", "quality_officer"))}
    for size in VIEWPORTS:
        s = Shooter(browser, browser_context_args, app, size)
        web, page = s.web, s.web.page
        web.login("front_desk")
        web.go("/start/tennis_booking")
        s.shoot("40-tennis-start")
        play = (app.clock.now() + timedelta(days=2)).astimezone(SHANGHAI).replace(hour=19, minute=0)
        widget = page.get_by_test_id("field-play_at").get_attribute("data-widget")
        _fill(web, {"booker": "周先生", "room": "1-1-0101", "phone": "13500000001", "court": "court_2",
                    "play_at": play.strftime("%Y-%m-%dT%H:%M" if widget == "datetime" else "%Y-%m-%d"),
                    "hours": "2", "people": "4"})
        page.get_by_test_id("start-submit").click()
        expect(page.get_by_text("收款售票").first).to_be_visible()
        tennis = _started_instance(page)
        web.go(f"/instances/{tennis}/record")
        expect(page.get_by_test_id("record-booking")).to_contain_text("周先生")
        s.shoot("41-tennis-record")
        s.close()
    app.clock.advance(parse_instant("2026-12-25T09:00:01+08:00") - app.clock.now())
    fire_due_timers(app.db, clock=app.clock)
    reading = _open_first(app, started["hot_water_billing"], "read_meters")
    app.call(claim_task, "butler", task_id=reading)
    app.call(complete_task, "butler", task_id=reading, data={
        "unit_price": 25.0, "owners_notified": True, "meter_ledger": "3-2-1102 张三 120.5 131\n5-1-0801 李四 88 95.5"})
    for size in VIEWPORTS:
        s = Shooter(browser, browser_context_args, app, size)
        web, page = s.web, s.web.page
        web.login("demo")
        web.go(f"/tasks/{_open_first(app, started['owner_visit'], 'plan')}")
        expect(page.locator("h1")).to_contain_text("业主走访工作计划")
        s.shoot("42-owner-visit-plan")
        web.go(f"/instances/{started['owner_visit']}/record")
        expect(page.get_by_test_id("record-plan")).to_be_visible()
        s.shoot("43-owner-visit-record")
        web.go(f"/tasks/{_open_first(app, started['quality_check'], 'inspect')}")
        expect(page.locator("h1")).to_contain_text("品质检查")
        s.shoot("44-quality-inspect")
        web.go(f"/instances/{started['quality_check']}/record")
        expect(page.get_by_test_id("record-check")).to_be_visible()
        s.shoot("45-quality-record")
        web.go(f"/tasks/{_open_first(app, started['hot_water_billing'], 'issue_notices')}")
        expect(page.locator("h1")).to_contain_text("热水续费通知书")
        s.shoot("46-hot-water-notices-task")
        web.go(f"/instances/{started['hot_water_billing']}/record")
        expect(page.get_by_test_id("record-notice")).to_have_count(2)
        s.shoot("47-hot-water-notices")
        s.close()
