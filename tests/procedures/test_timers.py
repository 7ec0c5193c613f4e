"""Timers at `--now` before / exactly at / after their due time (they fire strictly after), once
only, interrupting vs non-interrupting, cycles, `due_at` on the guarded task, and deadlines that
the business calendar moves across a weekend, the National Day holiday and a 调休 Saturday."""
from __future__ import annotations

import pytest

from tests.support import BPMN_DIR, Wuye

FRI_0900 = "2026-11-20T09:00:00+08:00"


@pytest.fixture
def cli(sqlite_db) -> Wuye:
    w = Wuye(sqlite_db.url)
    for name in ("timer_deadline", "timer_reminder", "timer_cycle", "timer_wait"):
        r = w("deploy", str(BPMN_DIR / f"{name}.bpmn"))
        assert r.code == 0, r.err
    return w


def start(w: Wuye, process: str, now: str) -> dict:
    r = w("start", process, "--as", "dispatcher", now=now)
    assert r.code == 0, r.err
    return r.json


def history_types(w: Wuye, instance: int) -> list[str]:
    return [e["type"] for e in w("history", str(instance)).json]


def test_an_interrupting_deadline_fires_strictly_after_due_once_and_records_the_violation(cli):
    started = start(cli, "deadline_check", FRI_0900)
    (handle,) = started["ready"]
    assert handle["due_at"] == "2026-11-20T11:00:00+08:00"          # 2 working hours
    shown = cli("show", str(started["instance"])).json
    (waiting,) = shown["waiting"]
    assert (waiting["name"], waiting["due_at"], waiting["interrupting"], waiting["deadline"]) == \
        ("handle_late", "2026-11-20T11:00:00+08:00", True, "D1")
    assert waiting["guards"] == handle["id"]

    assert cli("timers", now="2026-11-20T10:59:59+08:00").json == []               # before
    assert cli("timers", now="2026-11-20T11:00:00+08:00").json == []               # exactly at: not yet
    (fired,) = cli("timers", now="2026-11-20T11:00:00.001+08:00").json               # just after
    assert fired["timer"] == "handle_late" and fired["instance"] == started["instance"]
    assert cli("timers", now="2026-11-20T11:00:01+08:00").json == []               # once only
    assert cli("timers", now="2026-11-21T11:00:00+08:00").json == []

    ready = cli("tasks", "--as", "dispatch_supervisor").json
    assert [t["name"] for t in ready] == ["escalate"]
    assert cli("tasks", "--as", "dispatcher").json == []                           # interrupted
    late = cli("complete", handle["id"], "--as", "dispatcher")
    assert late.code == 5
    shown = cli("show", str(started["instance"])).json
    assert shown["waiting"] == [] and [t["name"] for t in shown["done"]] == ["handle"]
    assert shown["done"][0]["state"] == "cancelled"
    (v,) = shown["violations"]
    assert (v["deadline"], v["responsible"], v["responsible_kind"], v["amount"]) == ("D1", "dispatcher", "group", 30.0)
    types = history_types(cli, started["instance"])
    assert types.count("timer_fired") == 1 and types.count("violation") == 1 and "task_cancelled" in types


def test_a_claimed_task_makes_its_assignee_responsible_for_the_missed_deadline(cli):
    started = start(cli, "deadline_check", FRI_0900)
    assert cli("claim", started["ready"][0]["id"], "--as", "demo", now="2026-11-20T09:10:00+08:00").code == 0
    assert len(cli("timers", now="2026-11-20T11:30:00+08:00").json) == 1
    (v,) = cli("show", str(started["instance"])).json["violations"]
    assert (v["responsible"], v["responsible_kind"]) == ("demo", "user")


def test_completing_in_time_cancels_the_deadline(cli):
    started = start(cli, "deadline_check", FRI_0900)
    done = cli("complete", started["ready"][0]["id"], "--as", "dispatcher", now="2026-11-20T10:59:00+08:00")
    assert done.code == 0 and done.json["status"] == "completed"
    assert cli("timers", now="2026-11-23T12:00:00+08:00").json == []
    assert cli("show", str(started["instance"])).json["violations"] == []
    assert "timer_fired" not in history_types(cli, started["instance"])


def test_a_non_interrupting_reminder_keeps_the_task_and_adds_a_follow_up_once(cli):
    started = start(cli, "reminder_check", FRI_0900)
    (work,) = started["ready"]
    assert work["due_at"] == "2026-11-20T10:00:00+08:00"
    assert cli("timers", now="2026-11-20T10:00:00+08:00").json == []
    (fired,) = cli("timers", now="2026-11-20T10:00:01+08:00").json
    assert fired["timer"] == "remind"
    assert cli("timers", now="2026-11-20T12:00:00+08:00").json == []
    assert [t["id"] for t in cli("tasks", "--as", "dispatcher").json] == [work["id"]]        # still there
    assert [t["name"] for t in cli("tasks", "--as", "dispatch_supervisor").json] == ["follow_up"]
    # the reminder has fired: the task keeps the deadline it missed, so it stays overdue in the inbox
    assert cli("tasks", "--as", "dispatcher").json[0]["due_at"] == "2026-11-20T10:00:00+08:00"
    done = cli("complete", work["id"], "--as", "dispatcher", now="2026-11-20T12:05:00+08:00")
    assert done.code == 0 and done.json["status"] == "running"                 # follow_up still open
    assert history_types(cli, started["instance"]).count("timer_fired") == 1


def test_a_cycle_timer_fires_once_per_cycle_and_stops_after_its_repetitions(cli):
    started = start(cli, "cycle_check", FRI_0900)
    instance = started["instance"]
    assert cli("timers", now="2026-11-20T10:00:00+08:00").json == []
    assert [f["timer"] for f in cli("timers", now="2026-11-20T10:00:01+08:00").json] == ["every_hour"]
    assert cli("timers", now="2026-11-20T10:30:00+08:00").json == []
    (waiting,) = cli("show", str(instance)).json["waiting"]
    assert waiting["due_at"] == "2026-11-20T11:00:00+08:00"
    assert [f["timer"] for f in cli("timers", now="2026-11-20T11:00:01+08:00").json] == ["every_hour"]
    assert cli("timers", now="2026-11-20T15:00:00+08:00").json == []              # R2: two and done
    names = sorted(t["name"] for t in cli("tasks", "--as", "dispatcher").json)
    assert names == ["nudge", "nudge", "watch"]
    assert history_types(cli, instance).count("timer_fired") == 2
    assert cli("show", str(instance)).json["waiting"] == []


def test_an_intermediate_timer_holds_the_instance_until_it_fires(cli):
    started = start(cli, "wait_check", FRI_0900)
    assert started["ready"] == []
    assert cli("timers", now="2026-11-20T09:30:00+08:00").json == []
    assert [f["timer"] for f in cli("timers", now="2026-11-20T09:30:01+08:00").json] == ["cool_down"]
    assert [t["name"] for t in cli("tasks", "--as", "dispatcher").json] == ["call_back"]


@pytest.mark.parametrize(("received", "due"), [
    ("2026-11-20T16:30:00+08:00", "2026-11-23T09:30:00+08:00"),   # Friday: 1 h, weekend, 1 h on Monday
    ("2026-11-21T10:00:00+08:00", "2026-11-23T10:30:00+08:00"),   # Saturday: counting starts Monday 08:30
    ("2026-09-30T17:00:00+08:00", "2026-10-08T10:00:00+08:00"),   # before National Day (Oct 1-7)
    ("2026-10-03T09:00:00+08:00", "2026-10-08T10:30:00+08:00"),   # inside the holiday
    ("2026-10-09T17:00:00+08:00", "2026-10-10T10:00:00+08:00"),   # Saturday Oct 10 is a 调休 working day
    ("2026-10-10T17:00:00+08:00", "2026-10-12T10:00:00+08:00"),   # ... and Sunday Oct 11 is not
    ("2026-11-23T07:00:00+08:00", "2026-11-23T10:30:00+08:00"),   # before opening
])
def test_business_calendar_deadlines(cli, received, due):
    started = start(cli, "deadline_check", received)
    assert started["ready"][0]["due_at"] == due
    assert cli("timers", now=due).json == []                                       # exactly at: not yet
    assert len(cli("timers", now=due.replace("+08:00", ".5+08:00")).json) == 1


def test_the_sweep_fires_every_due_instance_and_leaves_the_others(cli):
    early = [start(cli, "deadline_check", FRI_0900)["instance"] for _ in range(3)]
    later = start(cli, "deadline_check", "2026-11-20T10:00:00+08:00")["instance"]
    fired = cli("timers", now="2026-11-20T11:30:00+08:00").json
    assert sorted(f["instance"] for f in fired) == sorted(early)
    assert [f["instance"] for f in cli("timers", now="2026-11-20T12:00:01+08:00").json] == [later]
