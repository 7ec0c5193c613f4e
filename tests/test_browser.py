"""The staff web app in a real browser (Debian's Chromium, headless, through Playwright) against the
real app served on 127.0.0.1: a complaint carried from intake to close by four people logging in
and out, form errors beside their fields, the diagram marking the active task, a phone-sized
screen, a refused login — and in every test, no console error and no request leaving 127.0.0.1
(checked by the `watch` fixture at teardown).

Each test works on its own room number, so tests sharing the session's server do not see each
other's tasks in the inbox."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from browser_fixtures import (PHONE, Web, base_url, browser_context_args, browser_type_launch_args,  # noqa: F401
                              live_app, phone_web, watch, web)

pytestmark = pytest.mark.browser


def record_complaint(web: Web, room: str, content: str = "楼上装修噪音，晚上十点后仍在施工") -> int:
    """The dispatcher's part: the start form, then the intake task it leads to. Returns the instance."""
    page = web.page
    page.locator("#nav-start").click()
    page.locator("#start-complaint").click()
    expect(page.get_by_test_id("start-title")).to_have_text("发起：客户投诉处理")
    web.field("complainant").fill("张三")
    web.field("room").fill(room)
    web.field("phone").fill("13800000000")
    web.field("channel").select_option("phone")
    web.field("content").fill(content)
    expect(web.field("received_at")).not_to_have_value("")          # defaultValue="now"
    expect(web.field("households")).to_have_value("1")
    page.get_by_test_id("start-submit").click()

    expect(page.get_by_test_id("task-title")).to_have_text("登记投诉并调度")   # straight on to my task
    expect(page.get_by_test_id("flash")).to_contain_text("已创建客户投诉处理")
    instance = int(re.search(r"#(\d+)", page.get_by_test_id("instance-link").inner_text()).group(1))
    web.field("receiver").fill("调度员小王")
    web.submit_task()
    return instance


def test_a_complaint_from_intake_to_close_by_four_people(web: Web):
    page, room = web.page, "8-1-0801"
    web.login("dispatcher")
    instance = record_complaint(web, room)
    web.logout()

    web.app.clock.advance(timedelta(minutes=3))
    web.login("butler")
    web.open_task("classify", room)
    expect(page.get_by_test_id("case-guide")).to_have_count(0)             # no category chosen yet
    web.field("complaint_type").select_option("valid")
    web.field("severity").select_option("general")
    web.field("category").select_option("noise")
    web.field("responsible_dept").select_option("security")
    web.submit_task()
    expect(page.get_by_test_id("no-next-task")).to_be_visible()           # the next step is not the butler's
    web.logout()

    web.app.clock.advance(timedelta(minutes=10))
    web.login("security")
    web.open_task("accept_security", room)
    guide = page.get_by_test_id("case-guide")
    expect(guide).to_have_attribute("data-category", "noise")              # the case library, beside the form
    expect(guide).to_be_visible()
    web.field("contact_note").fill("已电话联系业主，约定今天下午回复")
    web.field("agreed_reply_at").fill("2026-11-20T16:00")
    web.submit_task()
    page.get_by_test_id("next-task").click()                               # my next task, offered at once
    expect(page.get_by_test_id("task-title")).to_have_text("处理投诉（保安部）")
    web.field("result").fill("已与装修户协商，晚八点后停工")
    web.submit_task()
    web.logout()

    web.app.clock.advance(timedelta(hours=20))
    web.login("butler")
    web.open_task("followup", room)
    web.choose("satisfied", True)
    web.choose("door_visit_required", False)
    web.submit_task()
    page.get_by_test_id("next-task").click()
    expect(page.get_by_test_id("task-title")).to_have_text("结案归档")
    web.field("owner_opinion").fill("满意")
    web.submit_task()

    page.get_by_test_id("instance-link").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance}$"))
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("instance-status")).to_have_text("已完成")
    expect(page.get_by_test_id("instance-data")).to_contain_text("已与装修户协商，晚八点后停工")
    completed = page.locator('[data-testid="events"] li[data-type="task_completed"]')
    expect(completed).to_have_count(6)                # intake, classify, accept, handle, followup, close
    expect(page.get_by_test_id("violations")).to_have_count(0)


def test_a_wrong_value_shows_its_error_beside_the_field_and_keeps_the_rest(web: Web):
    page = web.page
    web.login("dispatcher")
    page.locator("#nav-start").click()
    page.locator("#start-complaint").click()
    web.field("complainant").fill("李四")
    web.field("room").fill("8-2-0802")
    web.field("phone").fill("13900000000")
    web.field("channel").select_option("letter")
    web.field("content").fill("电梯异响")
    web.field("households").fill("0")                                      # min 1
    page.get_by_test_id("start-submit").click()

    expect(page.get_by_test_id("form-error")).to_be_visible()
    error = page.get_by_test_id("error-households")
    expect(error).to_be_visible()
    expect(error).to_contain_text("1")
    expect(page.get_by_test_id("field-households").get_by_test_id("error-households")).to_have_count(1)
    expect(web.field("households")).to_have_attribute("aria-invalid", "true")
    expect(web.field("households")).to_have_attribute("aria-describedby", "field-households-error")
    expect(page.locator(".field-error")).to_have_count(1)                  # only the wrong field complains
    expect(web.field("households")).to_have_value("0")                     # what was typed stays
    expect(web.field("complainant")).to_have_value("李四")
    expect(web.field("room")).to_have_value("8-2-0802")
    expect(web.field("phone")).to_have_value("13900000000")
    expect(web.field("channel")).to_have_value("letter")
    expect(web.field("content")).to_have_value("电梯异响")

    web.field("households").fill("2")                                      # corrected, it goes through
    page.get_by_test_id("start-submit").click()
    expect(page.get_by_test_id("task-title")).to_have_text("登记投诉并调度")


def test_the_diagram_marks_the_active_task(web: Web):
    page, room = web.page, "8-3-0803"
    web.login("dispatcher")
    instance = record_complaint(web, room)
    web.go(f"/instances/{instance}")
    diagram = page.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    active = diagram.locator('g.djs-element[data-element-id="classify"]')
    expect(active).to_have_class(re.compile(r"\bwuye-active\b"))
    expect(diagram.locator("g.wuye-active")).to_have_count(1)
    expect(diagram.locator('g.djs-element[data-element-id="intake"]')).to_have_class(re.compile(r"\bwuye-completed\b"))
    expect(diagram.locator('g.djs-element[data-element-id="start"]')).to_have_class(re.compile(r"\bwuye-completed\b"))
    expect(active.locator("text")).to_contain_text("分类投诉")               # the label is drawn
    box = active.bounding_box()                                            # and inside the visible canvas
    frame = diagram.bounding_box()
    assert box and frame and box["width"] > 20 and box["height"] > 20
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
    fill = active.locator(".djs-visual > :first-child").evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(208, 235, 255)"                                    # app.css's active colour applies


def test_a_phone_sized_screen_shows_the_inbox_and_completes_a_task(phone_web: Web):
    web = phone_web
    page, room = web.page, "8-4-0804"
    web.login("dispatcher")
    record_complaint(web, room)
    web.logout()
    web.login("butler")

    def no_sideways_scroll() -> None:
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{page.url} is {width}px wide on a {PHONE['width']}px screen"

    web.go("/inbox")
    cards = page.get_by_test_id("task-card")
    expect(cards.first).to_be_visible()
    no_sideways_scroll()
    task_id = web.open_task("classify", room)
    no_sideways_scroll()
    submit = page.get_by_test_id("complete-task")
    box = submit.bounding_box()
    assert box and box["width"] >= PHONE["width"] * 0.75                    # a thumb-sized, full-width button
    web.field("complaint_type").select_option("valid")
    web.field("category").select_option("corridor_light")
    web.field("responsible_dept").select_option("engineering")
    submit.tap()
    expect(page.get_by_test_id("task-done")).to_be_visible()
    no_sideways_scroll()
    web.go(f"/tasks/{task_id}")
    expect(page.get_by_test_id("task-not-ready")).to_be_visible()
    page.get_by_test_id("instance-link").click()
    expect(page.get_by_test_id("diagram")).to_have_attribute("data-rendered", "true")
    no_sideways_scroll()


def test_a_wrong_password_is_refused_with_a_message(web: Web):
    page = web.page
    web.go("/inbox")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.locator("#username").fill("butler")
    page.locator("#password").fill("not-the-password")
    page.locator("#login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误")
    expect(page.locator("#username")).to_have_value("butler")
    expect(page.locator("#password")).to_have_value("")
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    web.login("butler")                                                     # the right one still works
    expect(page).to_have_url(re.compile(r"/inbox$"))


def test_a_session_stays_on_this_server_with_no_console_errors(web: Web, watch):
    """What the `watch` fixture checks for every test, shown once on purpose: every page and asset
    (Pico, bpmn-js, our own scripts) came from 127.0.0.1, and the CSP blocked nothing."""
    page = web.page
    web.login("butler")
    web.go("/inbox")
    web.go("/start")
    web.go("/instances")
    page.get_by_test_id("instance-card").first.locator("a").click()
    expect(page.get_by_test_id("diagram")).to_have_attribute("data-rendered", "true")
    assert any(u.endswith("/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js") for u in watch.requests)
    assert any(u.endswith("/static/vendor/pico/pico.min.css") for u in watch.requests)
    assert watch.foreign_requests == [] and watch.unexpected_errors() == []


def test_the_watch_catches_a_foreign_request_and_a_console_error(page, live_app):
    """The guard every test relies on can fail: a CDN link and a script error are both caught."""
    from browser_fixtures import watch_context
    watch = watch_context(page.context)
    page.goto(live_app.url + "/login")
    page.evaluate("""() => { const i = new Image(); i.src = 'http://cdn.example.invalid/x.png';
                             console.error('boom'); }""")
    expect(page.locator("#login-form")).to_be_visible()
    page.wait_for_function("() => true")
    assert any("cdn.example.invalid" in u for u in watch.foreign_requests)
    assert any(e.startswith("boom") for e in watch.unexpected_errors())
    with pytest.raises(AssertionError):
        watch.check()
