"""当班与负责人 in the browser's own requests: the administrator sets a group's head and supervisor
and adds a shift; a shift for someone not in the group, or ending before it starts, comes back with
the reason beside each field and nothing stored; staff cannot post, supervisors read."""
from __future__ import annotations

from engine.usecases.duty import duty_table
from tests.web.conftest import csrf_token


def test_the_admin_sets_the_head_and_a_shift_and_bad_fields_are_named(client, auth, steps):
    auth.login_as("admin")
    token = csrf_token(client, "/duty/")
    saved = client.post("/duty/lead", data={"csrf_token": token, "group": "engineering", "head": "engineering",
                                            "supervisor": "dept_supervisor"}, follow_redirects=True)
    assert "已保存负责人和主管" in saved.get_data(as_text=True)
    bad = client.post("/duty/shift", data={"csrf_token": token, "group": "engineering", "user": "butler",
                                           "starts_at": "2026-11-20T08:00", "ends_at": "2026-11-20T07:00"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'data-testid="error-shift-user"' in html and "不是工程部的成员" in html
    assert 'data-testid="error-shift-ends_at"' in html and "下班时间须晚于上班时间" in html
    assert 'value="butler"' in html                                               # what was typed is kept
    good = client.post("/duty/shift", data={"csrf_token": token, "group": "engineering", "user": "engineering",
                                            "starts_at": "2026-11-20T08:00", "ends_at": "2026-11-20T20:00"},
                       follow_redirects=True)
    assert "已添加班次" in good.get_data(as_text=True)
    table = steps.call(duty_table, "admin", since="2026-11-20T00:00:00+08:00")
    assert [(s["group"], s["user"]) for s in table["shifts"]] == [("engineering", "engineering")]
    assert {g["id"]: (g["head"], g["supervisor"]) for g in table["groups"]}["engineering"] == \
        ("engineering", "dept_supervisor")


def test_staff_may_not_set_it_and_supervisors_read_it(client, auth):
    auth.login_as("cs_supervisor")
    page = client.get("/duty/").get_data(as_text=True)
    assert "当班表" in page and 'data-testid="shift-form"' not in page
    token = csrf_token(client, "/duty/")
    refused = client.post("/duty/lead", data={"csrf_token": token, "group": "engineering", "head": "butler"})
    assert refused.status_code == 403
    auth.logout()
    auth.login_as("front_desk")
    assert client.get("/duty/").status_code == 403
