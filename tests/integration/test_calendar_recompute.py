"""When the calendar changes, waiting timers keep their due times; a supervisor sees how many would
move and recomputes them as one audited action (engine/usecases/calendar_timers.py), on SQLite and
PostgreSQL, through the CLI for the setting of the scene and the use cases for the supervisor."""
from __future__ import annotations

import json

import pytest

from engine.errors import NotPermitted
from engine.usecases.calendar_timers import recompute_timers, timers_to_recompute
from engine.usecases.instances import history
from tests.support import BPMN_DIR, ROOT, Wuye, act

NOTICE = str(ROOT / "tests" / "calendar_data" / "notice_2027.csv")
RECEIVED = "2027-02-04T17:00:00+08:00"        # Thursday before the festival; 2 working hours to answer
LATER = "2027-02-04T17:10:00+08:00"


def _due(w: Wuye, instance: int) -> str:
    [task] = [t for t in w("tasks", "--as", "dispatcher", now=LATER).json if t["instance"] == instance]
    return task["due_at"]


def test_a_calendar_change_keeps_due_times_until_a_supervisor_recomputes_them(db):
    w = Wuye(db.url)
    assert w("deploy", str(BPMN_DIR / "timer_deadline.bpmn")).code == 0
    started = w("start", "deadline_check", "--as", "dispatcher", "--data", json.dumps({"received_at": RECEIVED}),
                now=RECEIVED)
    instance = started.json["instance"]
    assert _due(w, instance) == "2027-02-05T10:00:00+08:00"          # estimated Mon–Fri: wrong by a week
    saved = w("calendar", "import", NOTICE, now=LATER)
    assert saved.code == 0 and saved.json["deadlines_affected"] == 1
    assert _due(w, instance) == "2027-02-05T10:00:00+08:00"          # kept as recorded

    seen = act(db, timers_to_recompute, as_="cs_supervisor", at=LATER)
    assert (seen["timers"], seen["instances"]) == (1, 1)
    assert seen["moves"] == [{"instance": instance, "timer": "handle_late", "from": "2027-02-05T10:00:00+08:00",
                              "to": "2027-02-15T10:00:00+08:00"}]
    assert _due(w, instance) == "2027-02-05T10:00:00+08:00"          # looking writes nothing

    done = act(db, recompute_timers, as_="cs_supervisor", at=LATER)
    assert done["timers"] == 1 and done["calendar_version"] == 2
    assert _due(w, instance) == "2027-02-15T10:00:00+08:00"
    assert w("show", str(instance)).json["next_timer_at"] == "2027-02-15T10:00:00+08:00"
    events = act(db, history, as_="cs_supervisor", at=LATER, instance_id=instance)
    [event] = [e for e in events if e["type"] == "timer_recomputed"]
    assert event["actor"] == "cs_supervisor" and event["data"]["moved"][0]["to"] == "2027-02-15T10:00:00+08:00"
    assert act(db, timers_to_recompute, as_="cs_supervisor", at=LATER)["timers"] == 0
    assert w("audit", "verify").code == 0
    # the old due time no longer fires: at 2027-02-05 10:00:01 nothing is due
    assert w("timers", now="2027-02-05T10:00:01+08:00").json == []


def test_only_supervisors_recompute(db):
    with pytest.raises(NotPermitted):
        act(db, recompute_timers, as_="dispatcher", at=LATER)
    with pytest.raises(NotPermitted):
        act(db, timers_to_recompute, as_="front_desk", at=LATER)


def test_replay_counts_with_the_calendar_the_deadlines_were_counted_with(sqlite_db):
    w = Wuye(sqlite_db.url)
    assert w("deploy", str(BPMN_DIR / "timer_deadline.bpmn")).code == 0
    assert w("calendar", "import", NOTICE, now=RECEIVED).code == 0
    started = w("start", "deadline_check", "--as", "dispatcher", "--data", json.dumps({"received_at": RECEIVED}),
                now=RECEIVED)
    instance = started.json["instance"]
    assert _due(w, instance) == "2027-02-15T10:00:00+08:00"
    assert w("timers", now="2027-02-15T10:00:01+08:00").json != []             # the deadline fires, escalated
    r = w("replay", str(instance), now="2027-02-15T10:05:00+08:00")
    assert r.code == 0, r.err
    assert r.json["matches"] is True
