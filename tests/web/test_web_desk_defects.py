"""Defects a first day at the desk found (issue 11): the move-in start form for a building no desk
serves (2), and the instance page's raw values (6)."""
from __future__ import annotations

import re

from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.runner import handle
from tests.support import PROCESSES, found
from tests.web.conftest import csrf_token


def deployed(db, clock, *names: str) -> None:
    handle(db, deploy, actor=SYSTEM, clock=clock,
           files=[(name, (PROCESSES / name).read_bytes()) for name in names])


def test_a_move_in_for_a_building_no_desk_serves_is_refused_beside_the_field_keeping_what_was_typed(
        client, auth, web_db, clock):
    """Issue 11 defect 2: building 25 (no desk) is a field error on the start form, not 流程执行出错."""
    deployed(web_db, clock, "move_in.bpmn")
    auth.login_as("front_desk")
    resp = client.post("/start/move_in", data={
        "csrf_token": csrf_token(client, "/start/move_in"), "owner": "赵六", "room": "25-1-0101", "building": "25",
        "phone": "13800138000", "appointment_at": "2026-11-21T10:00"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "流程执行出错" not in page
    beside = found(re.search(r'name="building".*?</div>', page, re.S), "on the page").group(0)
    assert "25号楼没有对应的入住办理组" in beside
    assert 'value="赵六"' in page and 'value="25-1-0101"' in page


def test_the_instance_page_shows_money_times_and_names_as_people_read_them(client, auth, web_db, clock, steps):
    """Issue 11 defect 6: no 3580.5, 0.0, ISO instants or group ids on the instance page; history
    dates carry their year."""
    from engine.usecases.start_instance import start_instance
    deployed(web_db, clock, "fee_collection.bpmn")
    started = steps.call(start_instance, "finance", process_id="fee_collection", data={
        "owner": "张三", "room": "3-2-1102", "period": "2026年度物业服务费", "amount_due": 3580.5,
        "due_date": "2026-12-31"})
    auth.login_as("finance")
    page = client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    data = found(re.search(r'data-testid="instance-data">(.*?)</dl>', page, re.S), "on the page").group(1)
    assert "¥3,580.50" in data and "3580.5<" not in data
    assert re.search(r'data-key="paid_total">[^<]*</dt>\s*<dd>¥0.00</dd>', data)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", data)          # every instant in local time
    events = found(re.search(r'data-testid="events">(.*?)</ol>', page, re.S), "on the page").group(1)
    assert "2026-11-20 09:00" in events
