"""Defects a first day at the desk found (issue 11): the move-in start form for a building no desk
serves (2). The instance page's raw values (6) are tested in test_web_instances.py."""
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

