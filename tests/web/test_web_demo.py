"""`wuye init --demo` leaves work in the inbox when the complaint process is deployed."""
import shutil
from datetime import timedelta

from engine.clock import FixedClock, parse_instant
from engine.usecases.init import initialize
from engine.usecases.runner import connect, handle
from engine.usecases.tasks import list_tasks
from tests.support import ROOT


def test_demo_init_starts_three_complaints_at_different_stages_once(tmp_path):
    processes = tmp_path / "processes"
    processes.mkdir()
    shutil.copy(ROOT / "processes/complaint.bpmn", processes)
    db = connect(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    clock = FixedClock(parse_instant("2026-11-20T09:00:00+08:00"))
    try:
        first = handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=processes)
        assert len(first["demo_instances"]) == 3
        tasks = handle(db, list_tasks, actor="demo", clock=clock, every_group=True)
        assert {"intake", "accept_engineering", "followup"} <= {t["name"] for t in tasks}
        # issue 11 defect 10: one overdue, one due soon, one fresh, on purpose (not one that happens
        # to fall overdue five minutes after `init --demo`)
        left = {t["room"]: parse_instant(t["due_at"]) - clock.now() for t in tasks
                if t["name"] in ("intake", "accept_engineering", "followup")}
        assert left["3-2-1102"] < timedelta(0)
        assert timedelta(0) < left["5-1-0801"] <= timedelta(minutes=30)
        assert left["7-3-0203"] > timedelta(days=1)
        again = handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=processes)
        assert again["demo_instances"] == []
    finally:
        db.dispose()


def test_demo_init_without_the_complaint_process_starts_nothing(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        out = handle(db, initialize, actor=None, clock=FixedClock(parse_instant("2026-11-20T09:00:00+08:00")),
                     demo=True, processes_dir=tmp_path)
        assert out["demo_instances"] == []
    finally:
        db.dispose()


def test_demo_init_leaves_the_front_desks_daily_work_in_its_inbox_once(tmp_path):
    processes = tmp_path / "processes"
    processes.mkdir()
    for name in ("reception.bpmn", "key_loan.bpmn", "parcel_storage.bpmn"):
        shutil.copy(ROOT / "processes" / name, processes)
    db = connect(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    clock = FixedClock(parse_instant("2026-11-20T09:00:00+08:00"))
    try:
        first = handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=processes)
        assert len(first["demo_instances"]) == 3
        inbox = {(t["process"], t["name"]) for t in handle(db, list_tasks, actor="front_desk", clock=clock)}
        assert {("reception", "analyse"), ("key_loan", "give_back"), ("parcel_storage", "collect")} <= inbox
        again = handle(db, initialize, actor=None, clock=clock, demo=True, processes_dir=processes)
        assert again["demo_instances"] == []
    finally:
        db.dispose()
