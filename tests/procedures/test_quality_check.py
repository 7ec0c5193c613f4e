"""品质检查 (procedures.md §7, M0 品质检查相关规程): a daily scheduled spot check by the quality
officer (QC1: done the same day), on Mondays the weekly joint check with the management-centre
manager, findings written up as a 整改通知单 to the responsible department with a deadline (QC2,
escalated to the manager), re-inspection until it passes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import parse_instant
from tests.procedures.walk import SECOND, Walk
from tests.support import PROCESSES, deploy_files, deployed_meta

FIRST = parse_instant("2026-11-04T09:00:00+08:00")          # a Wednesday
CLEAN = {"area": "parking", "findings": "地下车场卫生良好，车辆停放有序", "has_findings": False}
DIRTY = {"area": "signage", "findings": "3号楼消防通道标识缺失", "has_findings": True,
         "responsible_dept": "engineering", "rectify_by": "2026-11-06T17:30:00+08:00"}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "quality_check.bpmn", now="2026-11-03T10:00:00+08:00")


def opened(walk: Walk, at=FIRST) -> int:
    [i] = walk.scheduled(at + SECOND)
    return i


def test_the_model_deploys_with_a_daily_timer_start_and_the_officer_lane(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "quality_check")
    assert meta["name"] == "品质检查" and meta["start_groups"] == ["quality_officer"]
    assert list(meta["lanes"])[:2] == ["quality_officer", "cs_manager"]
    deadlines = {el["properties"].get("deadline") for el in meta["elements"].values() if el["type"] == "boundaryEvent"}
    assert deadlines == {"QC1", "QC2"}


def test_the_daily_check_opens_at_09_00_and_a_clean_check_closes(walk):
    assert walk.scheduled(FIRST - SECOND) == []
    [i] = walk.scheduled(FIRST + SECOND)
    assert set(walk.ready(i)) == {"inspect"} and walk.show(i)["data"]["weekly_joint"] is False
    assert walk.next_start("quality_check") == FIRST + timedelta(days=1)
    walk.work(i, "inspect", CLEAN)
    assert walk.ready(i) == {} and walk.violations(i) == []
    assert walk.show(i)["status"] == "completed"        # the next day's check is an instance of its own


def test_after_downtime_one_check_opens_for_all_the_days_missed(walk):
    opened(walk)
    [i] = walk.scheduled("2026-11-09T10:00:00+08:00")     # down Thursday to Monday: catchUp=one
    assert walk.show(i)["data"]["scheduled_for"] == "2026-11-09T09:00:00+08:00"
    assert walk.show(i)["data"]["weekly_joint"] is True
    assert walk.next_start("quality_check") == parse_instant("2026-11-10T09:00:00+08:00")


def test_monday_is_the_joint_check_the_manager_confirms(walk, sqlite_db):
    source = (PROCESSES / "quality_check.bpmn").read_text(encoding="utf-8")
    monday_first = source.replace('every_day("09:00", "2026-11-04")', 'every_week(1, "09:00")')
    assert monday_first != source
    deploy_files(sqlite_db, ("quality_check.bpmn", monday_first.encode()), at=walk.clock)   # first on a Monday
    i = opened(walk, parse_instant("2026-11-09T09:00:00+08:00"))
    assert walk.show(i)["data"]["weekly_joint"] is True
    walk.work(i, "inspect", CLEAN)
    assert walk.ready(i)["cosign"]["lane"] == "cs_manager"
    walk.work(i, "cosign", {"manager_opinion": "整体良好"})
    assert walk.ready(i) == {}


def test_qc1_a_check_not_done_by_the_end_of_the_day_is_a_violation(walk):
    i = opened(walk)
    due = walk.timer_due(i, "inspect_qc1")
    assert due == parse_instant("2026-11-04T23:59:59+08:00")
    walk.set(due - SECOND)
    assert walk.violations(i) == []
    walk.set(due + SECOND)
    assert "late_inspect" in walk.ready(i) and walk.violations(i) == [("QC1", "quality_officer", 0.0)]


def test_a_finding_goes_to_the_department_is_reinspected_and_closed(walk):
    i = opened(walk)
    walk.work(i, "inspect", DIRTY)
    assert walk.ready(i)["rectify_engineering"]["lane"] == "engineering"
    walk.work(i, "rectify_engineering", {"rectify_note": "已补装标识"})
    walk.work(i, "reinspect", {"passed": True, "reinspect_note": "标识完好"})
    assert "reinspect" not in walk.ready(i) and walk.violations(i) == []


def test_a_failed_reinspection_sets_a_new_deadline_and_returns_to_the_department(walk):
    i = opened(walk)
    walk.work(i, "inspect", {**DIRTY, "responsible_dept": "cleaning"})
    walk.work(i, "rectify_cleaning", {"rectify_note": "已清理"})
    walk.work(i, "reinspect", {"passed": False, "reinspect_note": "仍有垃圾",
                               "new_rectify_by": "2026-11-05T12:00:00+08:00"})
    assert "rectify_cleaning" in walk.ready(i)
    assert walk.timer_due(i, "rectify_cleaning_qc2") == parse_instant("2026-11-05T12:00:00+08:00")
    assert walk.show(i)["data"]["reinspections"] == 1


def test_qc2_a_rectification_past_its_deadline_is_escalated_to_the_manager(walk):
    i = opened(walk)
    walk.work(i, "inspect", DIRTY)
    due = walk.timer_due(i, "rectify_engineering_qc2")
    assert due == parse_instant(str(DIRTY["rectify_by"]))
    walk.set(due - SECOND)
    assert "escalate_engineering" not in walk.ready(i)
    walk.set(due + SECOND)
    assert walk.ready(i)["escalate_engineering"]["lane"] == "cs_manager"
    assert ("QC2", "engineering", 0.0) in walk.violations(i)


def test_a_finding_without_department_or_deadline_defaults_to_the_front_desk_in_3_days(walk):
    i = opened(walk)
    walk.work(i, "inspect", {**DIRTY, "responsible_dept": None, "rectify_by": None})
    assert "rectify_front_desk" in walk.ready(i)
    assert walk.timer_due(i, "rectify_front_desk_qc2") == FIRST + SECOND + timedelta(days=3)
