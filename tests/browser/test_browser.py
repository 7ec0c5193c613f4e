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

from engine.clock import parse_instant
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, Web, watch_context
from tests.support import found

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
    link_text = page.get_by_test_id("instance-link").inner_text()
    instance = int(found(re.search(r"#(\d+)", link_text), f"an instance number in {link_text!r}").group(1))
    web.field("receiver").fill("调度员小王")
    web.submit_task()
    return instance


def test_a_complaint_from_intake_to_close_by_four_people(web: Web):
    page, room = web.page, "8-1-0801"
    web.login("dispatcher")
    instance = record_complaint(web, room)
    web.logout()

    web.login("dispatch_supervisor")                                       # M1 第五条: the record audited, signed
    web.open_task("audit_record", room)
    web.choose("audit_signed", True)
    web.submit_task()
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
    web.logout()
    web.login("cs_manager")                                                # M0 4.3: the manager reviews first
    web.open_task("manager_review", room)
    web.field("review_note").fill("处理及时，同意结案")
    web.choose("reviewed", True)
    web.submit_task()
    web.logout()
    web.login("butler")
    web.open_task("close", room)
    expect(page.get_by_test_id("task-title")).to_have_text("结案归档")
    web.field("owner_opinion").fill("满意")
    web.choose("archived", True)                                           # archived=false cannot close
    web.submit_task()

    page.get_by_test_id("instance-link").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance}$"))
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("instance-status")).to_have_text("已完成")
    expect(page.get_by_test_id("instance-data")).to_contain_text("已与装修户协商，晚八点后停工")
    completed = page.locator('[data-testid="events"] li[data-type="task_completed"]')
    expect(completed).to_have_count(8)    # intake, audit, classify, accept, handle, followup, review, close
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


# the innermost elements reaching past the right edge of the screen, to name in a failure
_TOO_WIDE = """() => {
  const w = document.documentElement.clientWidth;
  const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > w + 1 && !clipped(e));
  return wide.filter(e => !wide.some(o => o !== e && e.contains(o))).slice(0, 8).map(e =>
    `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' +
      e.className.trim().split(/\\s+/).join('.') : ''} (right ${Math.round(e.getBoundingClientRect().right)}px)`);
}"""


def test_the_diagram_marks_the_active_task(web: Web):
    page, room = web.page, "8-3-0803"
    web.login("dispatcher")
    instance = record_complaint(web, room)
    web.go(f"/instances/{instance}")
    diagram = page.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    active = diagram.locator('g.djs-element[data-element-id="classify"]')
    expect(active).to_have_class(re.compile(r"\bwuye-active\b"))
    # intake forks into two parallel user tasks: the butler's classify and the dispatch supervisor's daily
    # record audit (M1 第五条); exactly those two are marked active, nothing else (no timers, no done task)
    expect(diagram.locator('g.djs-element[data-element-id="audit_record"]')).to_have_class(re.compile(r"\bwuye-active\b"))
    expect(diagram.locator("g.wuye-active")).to_have_count(2)
    marked = diagram.locator("g.wuye-active").evaluate_all("els => els.map(e => e.dataset.elementId).sort()")
    assert marked == ["audit_record", "classify"], marked
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
        assert width <= PHONE["width"] + 1, (f"{page.url} is {width}px wide on a {PHONE['width']}px screen: "
                                             f"{page.evaluate(_TOO_WIDE)}")

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


# -- screenshots of every page ----------------------------------------------------------------------

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


class Shooter:
    """One watched browser context per screen size; full-page PNGs under build/screenshots/<size>/.
    On the phone every page must also fit the screen's width."""

    def __init__(self, browser, context_args: dict, app, size: str):
        extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
        self.context = browser.new_context(**{**context_args, "viewport": VIEWPORTS[size], **extra})
        self.watch = watch_context(self.context)
        self.web = Web(self.context.new_page(), app)
        self.web.page.set_default_timeout(10_000)
        self.size, self.folder = size, SCREENSHOTS / size
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shot_names: list[str] = []

    def shoot(self, name: str) -> None:
        page = self.web.page
        page.evaluate("document.fonts.ready")          # the page itself is loaded: goto/click waited for it
        if self.size == "phone":
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= PHONE["width"] + 1, (f"{name}: {width}px wide on a {PHONE['width']}px screen: "
                                                 f"{page.evaluate(_TOO_WIDE)}")
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        self.shot_names.append(name)

    def close(self) -> None:
        self.context.close()
        self.watch.check()


def _stale_intake(app) -> str:
    """A fresh intake task, for a form that someone else completes while it is open (409)."""
    from engine.usecases.start_instance import start_instance
    started = app.call(start_instance, "dispatcher", process_id="complaint", data={
        "complainant": "赵六", "room": "8-9-0909", "phone": "13700000000", "channel": "phone",
        "content": "快递柜占用消防通道", "received_at": app.clock.now().isoformat()})
    return next(t["id"] for t in started["ready"] if t["name"] == "intake")


def _fee_letter_instance(app) -> int:
    """A fee_collection instance that has issued its 提示函 (payment reminder letter): the due
    date passes (the clock moves to 1 December), the reason is asked, the letter goes out."""
    from engine.usecases.start_instance import start_instance
    from engine.usecases.tasks import complete_task
    from engine.usecases.timers import fire_due_timers
    started = app.call(start_instance, "finance", process_id="fee_collection", data={
        "owner": "张三", "room": "3-2-1102", "period": "2026年1月–12月", "amount_due": 1200,
        "due_date": "2026-11-30"})
    fee = started["instance"]

    def complete(name: str, user: str, data: dict) -> None:
        from engine.usecases.tasks import list_tasks
        task = next(t for t in app.call(list_tasks, user, instance_id=fee) if t["name"] == name)
        app.call(complete_task, user, task_id=task["id"], data=data)

    complete("send_notice", "front_desk", {"notice_channel": "written"})
    app.clock.advance(parse_instant("2026-12-01T09:00:00+08:00") - app.clock.now())
    fire_due_timers(app.db, clock=app.clock)
    complete("ask_reason", "front_desk", {"reason": "业主出差", "objection_valid": False})
    complete("issue_reminder", "front_desk", {"delivery": "in_person"})
    return fee


def test_screenshots_of_every_page_on_a_desktop_and_a_phone(browser, browser_context_args, live_app):
    """Writes the PNGs a person looks at before calling the pages done (build/screenshots/); the
    phone run also checks that no page scrolls sideways. Runs last: it moves the clock a week on."""
    from engine.usecases.browse import search_instances
    from engine.usecases.instances import show_instance
    from engine.usecases.tasks import complete_task
    app = live_app
    demo = {i["room"]: i["instance"] for i in app.call(search_instances, "demo", process_id="complaint")}
    guided_task = next(t["id"] for t in app.call(show_instance, "demo", instance_id=demo["5-1-0801"])["ready"]
                       if t["name"] == "accept_engineering")

    shooters = {size: Shooter(browser, browser_context_args, app, size) for size in VIEWPORTS}
    for _size, s in shooters.items():
        web, page = s.web, s.web.page
        web.go("/login")
        s.shoot("01-login")
        page.locator("#username").fill("dispatcher")
        page.locator("#password").fill("wrong")
        page.locator("#login-submit").click()
        expect(page.get_by_test_id("login-error")).to_be_visible()
        s.shoot("02-login-refused")
        web.login("dispatcher")
        web.go("/inbox")
        s.shoot("03-inbox-dispatcher")
        web.go("/start")
        s.shoot("04-start-list")
        web.go("/start/complaint")
        s.shoot("05-start-form")
        web.field("households").fill("0")
        page.get_by_test_id("start-submit").click()
        expect(page.get_by_test_id("form-error")).to_be_visible()
        s.shoot("06-start-form-errors")
        stale = _stale_intake(app)
        web.go(f"/tasks/{stale}")
        s.shoot("07-task-form")
        app.call(complete_task, "dispatcher", task_id=stale, data={"receiver": "调度员小李"})
        web.field("receiver").fill("调度员小王")
        page.get_by_test_id("complete-task").click()
        expect(page.get_by_test_id("error-page")).to_have_attribute("data-status", "409")
        s.shoot("08-error-409")
        web.go(f"/tasks/{stale}/done")
        expect(page.get_by_test_id("task-done")).to_be_visible()
        s.shoot("09-done")
        web.go("/instances/999999")
        expect(page.get_by_test_id("error-page")).to_have_attribute("data-status", "404")
        s.shoot("10-error-404")
        web.go("/start/fee_collection")
        expect(page.get_by_test_id("error-page")).to_have_attribute("data-status", "403")
        s.shoot("11-error-403")
        web.logout()

        web.login("engineering")
        web.go("/inbox")
        s.shoot("12-inbox-engineering")
        web.go(f"/tasks/{guided_task}")
        expect(page.get_by_test_id("case-guide")).to_be_visible()
        s.shoot("13-task-form-with-guide")
        web.logout()

        web.login("butler")
        web.go("/instances")
        s.shoot("14-instance-list")
        web.go("/instances?process=complaint&status=running&room=7-3-0203")
        s.shoot("15-instance-search")
        web.go(f"/instances/{demo['7-3-0203']}")
        expect(page.get_by_test_id("diagram")).to_have_attribute("data-rendered", "true")
        s.shoot("16-instance")
        web.logout()

    fee = _fee_letter_instance(app)
    for _size, s in shooters.items():
        web, page = s.web, s.web.page
        web.login("finance")
        web.go(f"/instances/{fee}")
        expect(page.get_by_test_id("diagram")).to_have_attribute("data-rendered", "true")
        s.shoot("17-instance-fee-collection")
        with page.expect_popup() as popup:
            page.get_by_test_id("letter-link").first.click()
        letter = popup.value
        letter.wait_for_load_state()
        expect(letter.locator("body")).to_contain_text("TS-2026-")
        letter.screenshot(path=str(s.folder / "18-fee-letter.png"), full_page=True)    # an A4 page, for print
        letter.close()
        web.logout()
        s.close()
    assert len(list((SCREENSHOTS / "phone").glob("*.png"))) >= 18

