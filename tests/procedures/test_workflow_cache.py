"""The per-process cache of loaded workflows (engine/step/cache.py) never serves one instance the
workflow of another: one process may talk to several databases (the tests, the benchmarks on SQLite
and PostgreSQL), where instance 1 at version 2 exists in each."""
from __future__ import annotations

from engine.usecases.instances import show_instance
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task
from tests.support import BPMN_DIR, act, deploy_files, initialized_sqlite

NOW = "2026-11-20T09:00:00+08:00"


def test_the_same_numbered_instance_in_another_database_is_never_continued_with_this_ones_workflow(tmp_path):
    desks = {}
    for name in ("east", "west"):
        folder = tmp_path / name
        folder.mkdir()
        desks[name] = initialized_sqlite(folder)
        deploy_files(desks[name], BPMN_DIR / "leave_request.bpmn")
    try:
        started = {name: act(db, start_instance, as_="front_desk", at=NOW, process_id="visit_request",
                             data={"room": f"{name}-1-101"}) for name, db in desks.items()}
        assert started["east"]["instance"] == started["west"]["instance"]          # both are instance 1
        for name, db in desks.items():
            (register,) = started[name]["ready"]
            done = act(db, complete_task, as_="front_desk", at=NOW, task_id=register["id"],
                       data={"content": f"{name} 厨房漏水"})
            assert [t["name"] for t in done["ready"]] == ["repair"], name
        for name, db in desks.items():
            data = act(db, show_instance, at=NOW, instance_id=started[name]["instance"])["data"]
            assert (data["room"], data["content"]) == (f"{name}-1-101", f"{name} 厨房漏水"), name
    finally:
        for db in desks.values():
            db.dispose()
