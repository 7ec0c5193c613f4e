"""工作日历 in the browser's own requests (the real app, a real SQLite file): the banner admins and
supervisors see while the next 60 days reach a year with no official data, the administrator's
paste → preview → save, a refused row named by its line with nothing stored, and who may do what."""
from __future__ import annotations

import re

from engine.usecases.calendar import show_calendar
from tests.support import ROOT
from tests.web.conftest import csrf_token

NOTICE = (ROOT / "tests" / "calendar_data" / "notice_2027.csv").read_text("utf-8")


def test_admins_and_supervisors_see_the_banner_and_staff_do_not(client, auth):
    auth.login_as("cs_supervisor")
    page = client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="calendar-banner"' in page and "2027-01-01" in page and "请系统管理员录入" in page
    auth.logout()
    auth.login_as("front_desk")
    page = client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="calendar-banner"' not in page and "工作日历" not in page


def test_the_admin_previews_the_notice_then_saves_it_and_the_banner_goes(client, auth, steps):
    auth.login_as("admin")
    page = client.get("/calendar/").get_data(as_text=True)
    assert "缺少 2027-01-01 起的官方放假安排" in page and 'href="/calendar/"' in page
    token = csrf_token(client, "/calendar/")
    preview = client.post("/calendar/preview", data={"csrf_token": token, "text": NOTICE, "source": "国办通知"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'data-testid="change-2027-02-08"' in html and 'data-testid="change-2027-02-20"' in html
    assert steps.call(show_calendar, "admin", year=2027)["official"] is False     # a preview stores nothing
    text = re.search(r'name="text" value="([^"]*)"', html, re.S)
    assert text is not None
    saved = client.post("/calendar/save", data={"csrf_token": token, "text": NOTICE, "source": "国办通知"},
                        follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "已保存工作日历第 2 版：2027 年" in html and 'data-testid="calendar-banner"' not in html
    assert "调休上班" in html and "国办通知" in html
    assert steps.call(show_calendar, "admin", year=2027)["version"] == 2


def test_a_bad_row_comes_back_named_with_the_text_kept_and_nothing_stored(client, auth, steps):
    auth.login_as("admin")
    token = csrf_token(client, "/calendar/")
    bad = "2027-01-01,放假,元旦\n2027-01-04,上班,元旦\n"
    r = client.post("/calendar/save", data={"csrf_token": token, "text": bad})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "第 2 行" in html and "2027-01-04,上班,元旦" in html
    assert steps.call(show_calendar, "admin", year=2027)["days"] == []


def test_only_the_admin_may_change_it_and_every_form_needs_its_token(client, auth, steps):
    auth.login_as("cs_supervisor")
    page = client.get("/calendar/").get_data(as_text=True)
    assert "修改记录" in page and "录入放假通知" not in page
    token = csrf_token(client, "/calendar/")
    assert client.post("/calendar/save", data={"csrf_token": token, "text": NOTICE}).status_code == 403
    auth.logout()
    auth.login_as("front_desk")
    assert client.get("/calendar/").status_code == 403
    auth.logout()
    auth.login_as("admin")
    assert client.post("/calendar/save", data={"text": NOTICE}).status_code == 400     # no CSRF token
    assert steps.call(show_calendar, "admin", year=2027)["official"] is False


def test_a_supervisor_sees_the_deadlines_a_change_would_move_and_recomputes_them(client, auth, steps):
    from engine.usecases.calendar import import_calendar
    from engine.usecases.deploy import deploy
    from engine.usecases.start_instance import start_instance
    from engine.usecases.tasks import list_tasks
    steps.call(deploy, "admin", files=[("timer_deadline.bpmn", (ROOT / "tests/bpmn/timer_deadline.bpmn").read_bytes())])
    started = steps.call(start_instance, "dispatcher", process_id="deadline_check",
                         data={"received_at": "2027-02-04T17:00:00+08:00"})
    steps.call(import_calendar, "admin", text=NOTICE)

    def due() -> str:
        [task] = [t for t in steps.call(list_tasks, "dispatcher") if t["instance"] == started["instance"]]
        return task["due_at"]

    assert due() == "2027-02-05T10:00:00+08:00"
    auth.login_as("cs_supervisor")
    page = client.get("/calendar/").get_data(as_text=True)
    assert re.search(r'data-testid="timers-moving">1<', page) and "02-15 10:00" in page
    done = client.post("/calendar/recompute", data={"csrf_token": csrf_token(client, "/calendar/")},
                       follow_redirects=True).get_data(as_text=True)
    assert "重新计算 1 个流程实例的 1 个期限" in done and 'data-testid="timers-moving-none"' in done
    assert due() == "2027-02-15T10:00:00+08:00"
    assert client.post("/calendar/recompute", data={}).status_code == 400          # no CSRF token
    auth.logout()
    auth.login_as("front_desk")
    token = csrf_token(client, "/inbox")
    assert client.post("/calendar/recompute", data={"csrf_token": token}).status_code == 403
