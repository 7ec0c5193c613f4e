"""The inbox: whose tasks show, badges and filters, the polled fragment, claim / unclaim / assign."""
import re

from tests.support import found
from tests.web.conftest import csrf_token


def _task_ids(html: str) -> list[str]:
    return re.findall(r'data-task-id="([^"]+)"', html)


def test_a_group_task_shows_in_the_inbox_of_its_group_with_process_room_and_due_time(client, auth, steps):
    instance, repair = steps.to_repair(room="5-1-0801")
    auth.login_as("engineering")
    html = client.get("/inbox").get_data(as_text=True)
    assert _task_ids(html) == [repair["id"]]
    assert "上门维修" in html and f"上门维修预约 #{instance}" in html and "5-1-0801" in html
    assert "期限 11-20 11:00" in html and "剩余 2 小时 0 分" in html and "已等待 0 分钟" in html


def test_a_task_of_another_group_is_not_in_the_inbox(client, auth, steps):
    steps.to_repair()
    auth.login_as("front_desk")
    assert _task_ids(client.get("/inbox").get_data(as_text=True)) == []
    assert "没有待办任务" in client.get("/inbox").get_data(as_text=True)


def test_an_overdue_task_gets_the_overdue_badge_and_a_soon_due_one_the_due_soon_badge(client, auth, steps):
    steps.to_repair()
    steps.later(hours=1, minutes=30)                        # due 11:00, now 10:30
    auth.login_as("engineering")
    html = client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="badge-due-soon"' in html and 'data-testid="badge-overdue"' not in html
    steps.later(minutes=31)                                 # 11:01 (the timer has not been swept)
    html = client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="badge-overdue"' in html and "已超时 1 分钟" in html


def test_the_navigation_counts_the_inbox_and_the_overdue_tasks(client, auth, steps):
    steps.to_repair()
    steps.to_repair(room="1-1-0101")
    steps.later(hours=3)
    auth.login_as("engineering")
    html = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'id="nav-inbox-count"[^>]*>2<', html)
    assert re.search(r'id="nav-overdue-count"[^>]*>超时 2<', html)


def test_filters_by_room_process_lane_and_overdue_narrow_the_list(client, auth, steps):
    _, a = steps.to_repair(room="3-2-1102")
    steps.later(hours=3)
    _, b = steps.to_repair(room="7-1-0203")                  # started later: not overdue yet
    auth.login_as("engineering")
    assert _task_ids(client.get("/inbox?room=7-1").get_data(as_text=True)) == [b["id"]]
    assert _task_ids(client.get("/inbox?overdue=1").get_data(as_text=True)) == [a["id"]]
    assert sorted(_task_ids(client.get("/inbox?process=visit_request&lane=engineering").get_data(as_text=True))) \
        == sorted([a["id"], b["id"]])
    assert _task_ids(client.get("/inbox?process=complaint").get_data(as_text=True)) == []


def test_the_fragment_is_the_task_list_alone_with_the_counts_in_headers(client, auth, steps):
    auth.login_as("engineering")
    assert _task_ids(client.get("/inbox/fragment").get_data(as_text=True)) == []
    _, repair = steps.to_repair()                             # a new task arrives meanwhile
    resp = client.get("/inbox/fragment")
    html = resp.get_data(as_text=True)
    assert _task_ids(html) == [repair["id"]] and "<html" not in html
    assert resp.headers["X-Inbox-Count"] == "1" and resp.headers["X-Inbox-Overdue"] == "0"


def test_the_inbox_page_tells_the_script_where_to_poll(client, auth):
    auth.login_as("engineering")
    html = client.get("/inbox?room=3-2").get_data(as_text=True)
    assert 'data-refresh-url="/inbox/fragment?room=3-2"' in html and 'src="/static/app.js"' in html


def test_claiming_a_task_makes_it_mine_and_unclaiming_gives_it_back(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    token = csrf_token(client, "/inbox")
    resp = client.post(f"/tasks/{repair['id']}/claim", data={"csrf_token": token, "next": "/inbox"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox"
    html = client.get("/inbox").get_data(as_text=True)
    assert "已认领：上门维修" in html and "处理人 engineering" in html
    client.post(f"/tasks/{repair['id']}/unclaim", data={"csrf_token": token})
    assert "未认领" in client.get("/inbox").get_data(as_text=True)


def test_claiming_without_a_csrf_token_is_refused(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    assert client.post(f"/tasks/{repair['id']}/claim").status_code == 400
    assert "未认领" in client.get("/inbox").get_data(as_text=True)


def test_claiming_a_task_someone_else_claimed_first_says_so_with_409(client, auth, steps):
    from engine.usecases.tasks import claim_task
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    token = csrf_token(client, "/inbox")
    steps.call(claim_task, "demo", task_id=repair["id"])
    resp = client.post(f"/tasks/{repair['id']}/claim", data={"csrf_token": token})
    assert resp.status_code == 409 and "任务已被 demo 认领" in resp.get_data(as_text=True)


def test_claiming_a_task_of_another_group_is_forbidden(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("front_desk")
    resp = client.post(f"/tasks/{repair['id']}/claim", data={"csrf_token": csrf_token(client, "/inbox")})
    assert resp.status_code == 403 and "不在此任务的处理组中" in resp.get_data(as_text=True)


def test_a_supervisor_assigns_a_task_to_a_member_of_its_group(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("cs_supervisor")
    token = csrf_token(client, "/inbox")
    resp = client.post(f"/tasks/{repair['id']}/assign", data={"csrf_token": token, "assignee": "engineering",
                                                              "next": f"/tasks/{repair['id']}"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/tasks/{repair['id']}"
    assert re.search(r"处理人 [^<（]*（engineering）", client.get(f"/tasks/{repair['id']}").get_data(as_text=True))
    refused = client.post(f"/tasks/{repair['id']}/assign", data={"csrf_token": token, "assignee": "butler",
                                                                 "next": f"/tasks/{repair['id']}"})
    assert refused.status_code == 302 and refused.headers["Location"] == f"/tasks/{repair['id']}"
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "butler 不在此任务的处理组中，请从处理组成员中选择" in page
    assert re.search(r"处理人 [^<（]*（engineering）", page)


def test_the_supervisor_picks_from_the_groups_members_and_a_wrong_name_returns_to_the_task(client, auth, steps):
    """Defect 4 of issue 11: an unknown or out-of-group user name gave a dead-end page with developer text."""
    _, repair = steps.to_repair()
    auth.login_as("cs_supervisor")
    page = client.get(f"/tasks/{repair['id']}").get_data(as_text=True)
    select = re.search(r'<select name="assignee".*?</select>', page, re.S)
    assert select is not None
    names = re.findall(r'<option value="([^"]+)"', select.group(0))
    assert "engineering" in names and "butler" not in names and "front_desk" not in names
    resp = client.post(f"/tasks/{repair['id']}/assign", data={"csrf_token": csrf_token(client, "/inbox"),
                                                              "assignee": "nobody", "next": f"/tasks/{repair['id']}"})
    assert resp.status_code == 302
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "没有此用户或已停用：nobody，请从处理组成员中选择" in shown and "no such active user" not in shown


def test_a_staff_member_may_not_assign_tasks(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("engineering")
    resp = client.post(f"/tasks/{repair['id']}/assign", data={"csrf_token": csrf_token(client, "/inbox"),
                                                              "assignee": "engineering"})
    assert resp.status_code == 403


def test_a_supervisor_sees_every_groups_tasks_when_asking_for_all(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("dispatch_supervisor")
    assert _task_ids(client.get("/inbox").get_data(as_text=True)) == []
    assert _task_ids(client.get("/inbox?all=1").get_data(as_text=True)) == [repair["id"]]


def test_quality_sees_every_task_read_only_without_claim_buttons(client, auth, steps):
    _, repair = steps.to_repair()
    auth.login_as("quality")
    html = client.get("/inbox").get_data(as_text=True)
    assert _task_ids(html) == [repair["id"]] and 'data-testid="read-only-badge"' in html
    assert 'data-testid="claim"' not in html and 'id="nav-start"' not in html
    resp = client.post(f"/tasks/{repair['id']}/claim", data={"csrf_token": csrf_token(client, "/inbox")})
    assert resp.status_code == 403


# -- paging ------------------------------------------------------------------------------------------

def _repairs(steps, rooms: list[str]) -> list[str]:
    """One engineering repair per room, started 10 minutes apart: due (and listed) in this order."""
    ids = []
    for room in rooms:
        ids.append(steps.to_repair(room=room)[1]["id"])
        steps.later(minutes=10)
    return ids


def _next_link(html: str) -> str | None:
    match = re.search(r'href="([^"]+)" rel="next"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_the_inbox_pages_with_a_more_link_and_keeps_the_navigation_count_of_all_tasks(app, client, auth, steps):
    app.config["INBOX_PAGE_SIZE"] = 2
    ids = _repairs(steps, ["1-1-0101", "1-1-0102", "1-1-0103", "1-1-0104", "1-1-0105"])
    auth.login_as("engineering")
    html = client.get("/inbox").get_data(as_text=True)
    assert _task_ids(html) == ids[:2] and 'data-testid="first-page"' not in html
    assert re.search(r'id="nav-inbox-count"[^>]*>5<', html)
    seen, link = list(_task_ids(html)), _next_link(html)
    while link:
        assert link.startswith("/inbox?") and "after=" in link
        html = client.get(link).get_data(as_text=True)
        assert 'data-testid="first-page"' in html and re.search(r'id="nav-inbox-count"[^>]*>5<', html)
        seen += _task_ids(html)
        link = _next_link(html)
    assert seen == ids and _task_ids(html) == ids[4:]


def test_the_more_link_keeps_the_filters_and_the_fragment_refreshes_the_page_being_read(app, client, auth, steps):
    app.config["INBOX_PAGE_SIZE"] = 2
    ids = _repairs(steps, ["3-2-1101", "7-1-0203", "3-2-1102", "3-2-1103", "7-1-0204"])
    wanted = [ids[0], ids[2], ids[3]]
    auth.login_as("engineering")
    html = client.get("/inbox?room=3-2-11&process=visit_request").get_data(as_text=True)
    assert _task_ids(html) == wanted[:2]
    link = found(_next_link(html), "the next-page link")
    assert "room=3-2-11" in link and "process=visit_request" in link
    page2 = client.get(link).get_data(as_text=True)
    assert _task_ids(page2) == wanted[2:] and _next_link(page2) is None
    first_link = found(re.search(r'href="([^"]+)" data-testid="first-page"', page2), "the first-page link")
    first = first_link.group(1).replace("&amp;", "&")
    assert "after=" not in first and "room=3-2-11" in first
    refresh = found(re.search(r'data-refresh-url="([^"]+)"', page2), "data-refresh-url in page 2")
    refresh_url = refresh.group(1).replace("&amp;", "&")
    assert refresh_url.startswith("/inbox/fragment?") and "after=" in refresh_url and "room=3-2-11" in refresh_url
    _, newer = steps.to_repair(room="3-2-1109")            # due last: it joins the end of page 2
    fragment = client.get(refresh_url)
    assert fragment.headers["X-Inbox-Count"] == "6"
    assert _task_ids(fragment.get_data(as_text=True)) == [wanted[2], newer["id"]]


def test_a_mangled_page_cursor_is_a_400_page(client, auth, steps):
    steps.to_repair()
    auth.login_as("engineering")
    resp = client.get("/inbox?after=not-a-cursor")
    assert resp.status_code == 400 and "不是有效的分页游标" in resp.get_data(as_text=True)
