"""投诉处理情况月报 (procedures.md §7, M1 第十六条): a scheduled start on the 20th of each month, the
built-in topic ``wuye.report`` computes the previous month's complaint figures into the instance, the
客服部负责人 signs it off by the 25th 17:30 (CR1: ¥200 调度主管, ¥100 部门负责人)."""
from __future__ import annotations

import pytest

from engine.clock import parse_instant
from engine.rules.permissions import SYSTEM
from engine.usecases.builtin_topics import serve_builtin_topics
from engine.usecases.replay import replay_instance
from tests.procedures.walk import SECOND, Walk
from tests.support import PROCESSES, act, deploy_files, deployed_meta

FIRST = parse_instant("2026-12-20T09:00:00+08:00")
DUE = parse_instant("2026-12-25T17:30:00+08:00")
SIGN = {"review_opinion": "数据核对无误，同意报送督导中心。", "signed_off": True}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    w = Walk(sqlite_db, "monthly_complaint_report.bpmn", now="2026-11-03T10:00:00+08:00")
    deploy_files(sqlite_db, PROCESSES / "complaint.bpmn", at=w.clock)
    w.start("complaint", {"complainant": "吴建国", "room": "21-2-1103", "phone": "13955556666", "channel": "phone",
                          "content": "电梯晚上异响，影响休息", "received_at": w.clock.now().isoformat()},
            user="dispatcher")
    return w


def opened(walk: Walk) -> int:
    [i] = walk.scheduled(FIRST + SECOND)
    act(walk.db, serve_builtin_topics, as_=None, at=walk.clock)
    return i


def test_the_model_deploys_with_a_monthly_timer_start_and_the_report_topic(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "monthly_complaint_report")
    assert meta["name"] == "投诉处理情况月报" and meta["start_form"] == []
    assert meta["elements"]["compute"]["properties"]["report"] == "complaints"
    assert meta["elements"]["sign_off_cr1"]["properties"]["deadline"] == "CR1"


def test_the_report_opens_on_the_20th_once_and_holds_novembers_figures(walk):
    assert walk.next_start("monthly_complaint_report") == FIRST
    assert walk.scheduled(FIRST - SECOND) == []
    i = opened(walk)
    assert walk.scheduled(FIRST + 3600 * SECOND) == []                     # once per moment
    assert walk.next_start("monthly_complaint_report") == parse_instant("2027-01-20T09:00:00+08:00")
    data = walk.show(i)["data"]
    assert data["report_month"] == "2026-11" and data["report_due"] == "2026-12-25T17:30:00+08:00"
    # the one November complaint, still open: received, not closed within its deadlines
    assert (data["complaints_received"], data["complaints_on_time"], data["complaint_timeliness"]) == (1, 0, "0.0%")
    assert data["timeliness_met"] is False
    assert set(walk.ready(i)) == {"sign_off"} and walk.ready(i)["sign_off"]["lane"] == "cs_supervisor"
    walk.clock.set(FIRST + 7200 * SECOND)
    walk.work(i, "sign_off", SIGN)
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["violations"] == []
    assert shown["data"]["signed_off"] is True and shown["data"]["complaints_received"] == 1
    replayed = act(walk.db, replay_instance, as_=SYSTEM, instance_id=i)     # the figures fed back as recorded
    assert replayed["matches"] is True, replayed


def test_a_report_signed_a_second_before_the_deadline_breaks_nothing(walk):
    i = opened(walk)
    walk.clock.set(DUE - SECOND)
    walk.work(i, "sign_off", SIGN)
    assert walk.violations(i) == []


def test_a_report_not_signed_by_the_25th_1730_is_cr1_for_the_dispatch_supervisor(walk):
    i = opened(walk)
    assert walk.timer_due(i, "sign_off_cr1") == DUE
    walk.set(DUE - SECOND)
    assert walk.violations(i) == []
    walk.set(DUE + SECOND)
    assert [(d, amount) for d, _, amount in walk.violations(i)] == [("CR1", 200.0)]
    assert set(walk.ready(i)) == {"sign_off", "late_report"} and walk.ready(i)["late_report"]["lane"] == "cs_manager"
    walk.work(i, "sign_off", SIGN)                 # still to be signed: the late report is sent
    walk.work(i, "late_report", {"note": "已督促报送"})
    assert walk.show(i)["status"] == "completed"
