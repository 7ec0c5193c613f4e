"""`wuye init --demo` leaves work in the inbox when the complaint process is deployed."""
import shutil

from tests.support import ROOT
from engine.clock import FixedClock, parse_instant
from engine.usecases.init import initialize
from storage.uow import Database


def test_demo_init_starts_three_complaints_at_different_stages_once(tmp_path):
    processes = tmp_path / "processes"
    processes.mkdir()
    shutil.copy(ROOT / "processes/complaint.bpmn", processes)
    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    clock = FixedClock(parse_instant("2026-11-20T09:00:00+08:00"))
    try:
        first = initialize(db, clock=clock, demo=True, processes_dir=processes)
        assert len(first["demo_instances"]) == 3
        with db.uow(readonly=True) as uow:
            ready = sorted(t.name for t in uow.tasks.inbox(user="demo", groups=["dispatcher", "butler", "engineering"],
                                                            every_group=True))
        assert {"intake", "accept_engineering", "followup"} <= set(ready)
        assert initialize(db, clock=clock, demo=True, processes_dir=processes)["demo_instances"] == []
    finally:
        db.dispose()


def test_demo_init_without_the_complaint_process_starts_nothing(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        out = initialize(db, clock=FixedClock(parse_instant("2026-11-20T09:00:00+08:00")), demo=True,
                         processes_dir=tmp_path)
        assert out["demo_instances"] == []
    finally:
        db.dispose()
