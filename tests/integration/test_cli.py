"""Every command of design.md's `wuye` table, its JSON shape and its exit codes (2 bad input,
3 not permitted, 4 not found, 5 conflict), and that a user's mistake is one line on stderr, never a
traceback. Most run in-process on SQLite; the main path also runs on PostgreSQL, and a few go
through a real subprocess to prove the console entry point."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.clock import SystemClock
from engine.usecases.browse import startable_processes
from engine.usecases.runner import connect, handle
from engine.usecases.sessions import log_in
from tests.support import BPMN_DIR, ROOT, Wuye

LEAVE = str(BPMN_DIR / "leave_request.bpmn")
T0 = "2026-11-20T09:00:00+08:00"          # a Friday, working time
TASK_KEYS = {"id", "instance", "process", "name", "title", "lane", "assignee", "due_at", "form"}
FIELD_KEYS = {"id", "type", "label", "required", "readonly", "default"}


def one_line(err: str) -> str:
    """The contract for failures: exactly one readable line on stderr, no traceback."""
    text = err.strip()
    assert text, "expected a reason on stderr"
    assert "\n" not in text, f"more than one line on stderr: {err!r}"
    assert "Traceback" not in text and text.startswith("wuye: "), err
    return text


@pytest.fixture
def cli(sqlite_db) -> Wuye:
    """The CLI on an initialized SQLite file with the test process deployed."""
    w = Wuye(sqlite_db.url)
    assert w("deploy", LEAVE).code == 0
    return w


def start(w: Wuye, room: str = "3-2-1102", now: str = T0) -> dict:
    r = w("start", "visit_request", "--as", "front_desk", "--data", json.dumps({"room": room}), now=now)
    assert r.code == 0, r.err
    return r.json


# -- init, users -------------------------------------------------------------------------------------

def _run_console(url: str, processes: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The installed console script when there is one (pip install -e .), else `python -m cli`."""
    script = Path(sys.executable).with_name("wuye")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "cli"]
    env = {**os.environ, "WUYE_DATABASE_URL": url, "WUYE_PROCESSES_DIR": str(processes), "PYTHONPATH": str(ROOT)}
    return subprocess.run(argv + list(args), input=stdin, capture_output=True, text=True, env=env, timeout=120,
                          cwd=processes)


def test_init_demo_creates_schema_processes_and_users_and_a_second_run_changes_nothing(tmp_path):
    processes = tmp_path / "processes"
    processes.mkdir()
    shutil.copy(LEAVE, processes)
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    first = _run_console(url, processes, "init", "--demo")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["schema"]["from"] is None and out["schema"]["to"]
    assert [(d["id"], d["version"], d["new"]) for d in out["deployed"]] == [("visit_request", 1, True)]
    assert {"front_desk", "dispatcher", "quality", "process_owner", "demo"} <= set(out["demo_users"])

    again = _run_console(url, processes, "init", "--demo")
    assert again.returncode == 0, again.stderr
    out2 = json.loads(again.stdout)
    assert out2["schema"] == {"from": out["schema"]["to"], "to": out["schema"]["to"]}
    assert [(d["id"], d["version"], d["new"]) for d in out2["deployed"]] == [("visit_request", 1, False)]
    assert out2["demo_users"] == []

    db = connect(url)
    try:
        demo = signed_in(db, "demo", "demo")
        assert demo is not None and {"front_desk", "cs_supervisor", "quality"} <= demo.groups
        assert signed_in(db, "dispatcher", "dispatcher").groups == {"dispatcher"}
        assert signed_in(db, "dispatcher", "wrong") is None
        assert handle(db, startable_processes, actor="demo", clock=SystemClock())[0]["version"] == 1
    finally:
        db.dispose()


def signed_in(db, name: str, password: str):
    """The actor a password signs in as (None when refused), through the sign-in use case."""
    return handle(db, log_in, actor=None, clock=SystemClock(), name=name, password=password, via="test")


def test_user_add_reads_the_password_from_stdin_or_prints_a_random_one(cli, sqlite_db):
    given = cli("user", "add", "wang_wei", "--groups", "butler,front_desk", stdin="s3cret-pw\n")
    assert given.code == 0, given.err
    assert given.json == {"name": "wang_wei", "groups": ["butler", "front_desk"]}     # no password echoed
    generated = cli("user", "add", "li_na", "--groups", "finance")
    assert generated.code == 0, generated.err
    password = generated.json["password"]
    assert len(password) >= 12
    assert signed_in(sqlite_db, "wang_wei", "s3cret-pw").groups == {"butler", "front_desk"}
    assert signed_in(sqlite_db, "li_na", password) is not None

    dup = cli("user", "add", "li_na", "--groups", "finance", stdin="another\n")
    assert dup.code == 5 and "li_na" in one_line(dup.err)
    unknown = cli("user", "add", "zhao", "--groups", "plumbers", stdin="pw12\n")
    assert unknown.code == 2 and "plumbers" in one_line(unknown.err)
    bad_name = cli("user", "add", "1x", "--groups", "finance", stdin="pw12\n")
    assert bad_name.code == 2
    one_line(bad_name.err)


# -- deploy ------------------------------------------------------------------------------------------

def test_deploy_new_version_unchanged_and_refused(sqlite_db, tmp_path):
    w = Wuye(sqlite_db.url)
    first = w("deploy", LEAVE)
    assert first.code == 0, first.err
    (d,) = first.json["deployed"]
    assert (d["kind"], d["id"], d["version"], d["new"]) == ("bpmn", "visit_request", 1, True)
    same = w("deploy", LEAVE)
    assert [(x["version"], x["new"]) for x in same.json["deployed"]] == [(1, False)]

    changed = tmp_path / "leave_request.bpmn"
    changed.write_text(Path(LEAVE).read_text(encoding="utf-8").replace("登记报修", "登记报修（新）"), encoding="utf-8")
    second = w("deploy", str(changed), "--as", "process_owner")
    assert second.code == 0, second.err
    assert [(x["version"], x["new"]) for x in second.json["deployed"]] == [(2, True)]

    not_owner = w("deploy", str(changed), "--as", "front_desk")
    assert not_owner.code == 3
    one_line(not_owner.err)
    junk = tmp_path / "notes.bpmn"
    junk.write_text("<notes><note>hello</note></notes>", encoding="utf-8")
    refused = w("deploy", str(junk))
    assert refused.code == 2 and "notes.bpmn:1:" in one_line(refused.err)
    missing = w("deploy", str(tmp_path / "nope.bpmn"))
    assert missing.code == 2 and "nope.bpmn" in one_line(missing.err)
    huge = tmp_path / "huge.bpmn"
    huge.write_bytes(b" " * (5 * 1024 * 1024 + 1))
    too_big = w("deploy", str(huge))
    assert too_big.code == 2 and "huge.bpmn" in one_line(too_big.err)
    unreadable = tmp_path / "unreadable.bpmn"
    unreadable.mkdir()                                   # a directory is not a file to deploy
    assert w("deploy", str(unreadable)).code == 2


# -- start, tasks ------------------------------------------------------------------------------------

def test_start_prints_the_instance_and_ready_tasks_with_forms(wuye):
    """On SQLite and on PostgreSQL: the JSON shapes of start and tasks."""
    assert wuye("deploy", LEAVE).code == 0
    started = wuye("start", "visit_request", "--as", "front_desk", "--data", '{"room": "1-1-101"}', now=T0)
    assert started.code == 0, started.err
    out = started.json
    assert isinstance(out["instance"], int) and out["status"] == "running"
    (task,) = out["ready"]
    assert set(task) >= TASK_KEYS
    assert (task["process"], task["name"], task["title"], task["lane"], task["assignee"], task["due_at"]) == \
        ("visit_request", "register", "登记报修", "front_desk", None, None)
    form = {f["id"]: f for f in task["form"]}
    assert all(set(f) >= FIELD_KEYS for f in form.values())
    assert form["content"]["type"] == "string" and form["content"]["required"] is True
    assert form["urgent"]["type"] == "boolean" and form["urgent"]["default"] is False
    assert form["location"]["options"] == [{"id": "indoor", "name": "户内"}, {"id": "corridor", "name": "楼道"}]

    listed = wuye("tasks", "--as", "front_desk", "--instance", str(out["instance"]))
    assert listed.code == 0 and [t["id"] for t in listed.json] == [task["id"]]
    assert listed.json[0] == task


def test_start_refusals(cli):
    unknown = cli("start", "no_such_process", "--as", "front_desk")
    assert unknown.code == 4 and "no_such_process" in one_line(unknown.err)
    not_starter = cli("start", "visit_request", "--as", "cleaning", "--data", '{"room": "1"}')
    assert not_starter.code == 3
    one_line(not_starter.err)
    bad_form = cli("start", "visit_request", "--as", "front_desk", "--data", '{"room": "' + "9" * 30 + '"}')
    assert bad_form.code == 2 and "room" in one_line(bad_form.err) and "最多 20 个字" in bad_form.err
    missing = cli("start", "visit_request", "--as", "front_desk")
    assert missing.code == 2 and "room" in one_line(missing.err)


def test_tasks_shows_a_user_only_their_groups_and_all_only_to_supervisors(cli):
    a, b = start(cli, "1-1-101"), start(cli, "2-2-202")
    mine = cli("tasks", "--as", "front_desk").json
    assert sorted(t["instance"] for t in mine) == sorted([a["instance"], b["instance"]])
    assert cli("tasks", "--as", "engineering").json == []
    assert [t["instance"] for t in cli("tasks", "--as", "front_desk", "--instance", str(b["instance"])).json] == \
        [b["instance"]]
    refused = cli("tasks", "--as", "engineering", "--all")
    assert refused.code == 3
    one_line(refused.err)
    every = cli("tasks", "--as", "cs_supervisor", "--all")
    assert every.code == 0 and len(every.json) == 2
    assert cli("tasks", "--as", "cs_supervisor").json == []        # without --all: only their own group


# -- claim, unclaim, complete -----------------------------------------------------------------------

def test_claim_and_unclaim(cli):
    (task,) = start(cli)["ready"]
    tid = task["id"]
    claimed = cli("claim", tid, "--as", "front_desk")
    assert claimed.code == 0 and claimed.json["assignee"] == "front_desk"
    assert cli("claim", tid, "--as", "front_desk").json["assignee"] == "front_desk"       # idempotent
    other = cli("claim", tid, "--as", "demo")
    assert other.code == 5 and "front_desk" in one_line(other.err)
    assert cli("complete", tid, "--as", "demo", "--data", '{"content": "漏水"}').code == 3
    not_owner = cli("unclaim", tid, "--as", "engineering")
    assert not_owner.code == 3
    one_line(not_owner.err)
    assert cli("tasks", "--as", "front_desk").json[0]["assignee"] == "front_desk"
    back = cli("unclaim", tid, "--as", "front_desk")
    assert back.code == 0 and back.json["assignee"] is None
    not_in_group = cli("claim", tid, "--as", "engineering")
    assert not_in_group.code == 3 and "front_desk" in one_line(not_in_group.err)
    assert cli("claim", "00000000-0000-0000-0000-000000000000", "--as", "front_desk").code == 4
    types = [e["type"] for e in cli("history", str(task["instance"])).json]
    assert types.count("task_claimed") == 1 and types.count("task_unclaimed") == 1


def test_complete_validates_the_form_and_refuses_twice_unknown_and_others(cli):
    started = start(cli)
    (task,) = started["ready"]
    tid = task["id"]
    bad = cli("complete", tid, "--as", "front_desk", "--data", '{"content": "x", "colour": "red"}')
    assert bad.code == 2
    line = one_line(bad.err)
    assert "content" in line and "至少 2 个字" in line and "At least 2 characters" in line and "colour" in line
    missing = cli("complete", tid, "--as", "front_desk", "--data", '{}')
    assert missing.code == 2 and "content" in one_line(missing.err) and "必填" in missing.err
    assert cli("complete", tid, "--as", "engineering", "--data", '{"content": "漏水"}').code == 3
    unknown = cli("complete", "00000000-0000-0000-0000-000000000000", "--as", "front_desk")
    assert unknown.code == 4
    one_line(unknown.err)

    done = cli("complete", tid, "--as", "front_desk", "--data", '{"content": "厨房漏水", "urgent": "是"}',
               now="2026-11-20T09:05:00+08:00")
    assert done.code == 0, done.err
    assert set(done.json) >= {"instance", "ready", "status"} and done.json["status"] == "running"
    (repair,) = done.json["ready"]
    assert repair["name"] == "repair" and repair["lane"] == "engineering"
    assert repair["due_at"] == "2026-11-20T11:00:00+08:00"
    twice = cli("complete", tid, "--as", "front_desk", "--data", '{"content": "厨房漏水"}')
    assert twice.code == 5 and "front_desk" in one_line(twice.err)
    completed = [e for e in cli("history", str(started["instance"])).json if e["type"] == "task_completed"]
    assert len(completed) == 1
    assert completed[0]["data"]["data"] == {"content": "厨房漏水", "urgent": True, "location": "indoor"}


# -- message, timers, show, history, audit ---------------------------------------------------------

def test_message_refusals(cli):
    instance = str(start(cli)["instance"])
    not_waiting = cli("message", "owner_cancelled", "--instance", instance, "--as", "front_desk", "--data", "{}")
    assert not_waiting.code == 4 and "owner_cancelled" in one_line(not_waiting.err)
    no_such = cli("message", "payment_received", "--instance", instance, "--as", "front_desk")
    assert no_such.code == 4 and "payment_received" in one_line(no_such.err)
    assert cli("message", "owner_cancelled", "--instance", "999", "--as", "front_desk").code == 4
    outsider = cli("message", "owner_cancelled", "--instance", instance, "--as", "cleaning")
    assert outsider.code == 3
    one_line(outsider.err)
    assert [e["type"] for e in cli("history", instance).json].count("message_delivered") == 0


def test_timers_show_and_history(cli):
    started = start(cli)
    instance = str(started["instance"])
    cli("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "漏水"}',
        now="2026-11-20T09:05:00+08:00")
    assert cli("timers", now="2026-11-20T10:59:59+08:00").json == []
    fired = cli("timers", now="2026-11-20T11:00:01+08:00")
    assert fired.code == 0
    (f,) = fired.json
    assert (f["instance"], f["process"], f["timer"], f["at"]) == \
        (int(instance), "visit_request", "repair_late", "2026-11-20T11:00:01+08:00")
    assert set(f) >= {"instance", "process", "timer", "title", "task", "at"}

    shown = cli("show", instance, "--as", "cs_supervisor")
    assert shown.code == 0
    s = shown.json
    assert {"status", "version", "ready", "waiting", "data", "violations"} <= set(s)
    assert (s["status"], s["version"]) == ("running", 1)
    assert [t["name"] for t in s["ready"]] == ["escalate"]
    assert s["data"]["room"] == "3-2-1102" and s["data"]["received_at"] == "2026-11-20T09:00:00+08:00"
    (v,) = s["violations"]
    assert (v["deadline"], v["responsible"], v["amount"]) == ("T1", "engineering", 30.0)

    history = cli("history", instance).json
    assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)
    assert all({"seq", "type", "at", "actor", "task", "data"} <= set(e) for e in history)
    assert history[0]["type"] == "instance_started" and history[0]["actor"] == "front_desk"
    assert history[0]["at"] == "2026-11-20T09:00:00+08:00"
    fired_events = [e for e in history if e["type"] == "timer_fired"]
    assert len(fired_events) == 1 and fired_events[0]["actor"] == "timer"

    assert cli("show", "424242").code == 4
    assert cli("history", "424242").code == 4
    assert cli("show", instance, "--as", "cleaning").code == 3
    ok = cli("audit", "verify")
    assert ok.code == 0 and ok.json["ok"] is True and ok.json["events"] == max(e["seq"] for e in history)


def test_report_kpi_and_violations_for_a_month(cli):
    late = start(cli)
    cli("complete", late["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "漏水"}',
        now="2026-11-20T09:05:00+08:00")
    start(cli, room="5-1-0801", now="2026-11-20T09:30:00+08:00")
    assert len(cli("timers", now="2026-11-20T11:00:01+08:00").json) == 1          # T1 of the first

    kpi = cli("report", "kpi", "--month", "2026-11")
    assert kpi.code == 0, kpi.err
    k = kpi.json
    assert k["month"] == "2026-11" and k["status"] == {"visit_request": {"running": 2}}
    assert k["within_deadlines_by_process"]["visit_request"] == {"value": 0.0, "closed_within_deadlines": 0, "all": 2}
    assert k["violations"]["by_deadline"] == {"T1": {"count": 1, "amount": 30.0, "process": "visit_request"}}
    assert k["complaint_timeliness"]["value"] is None and k["complaint_timeliness"]["target"] == 0.9
    assert k["complaints"]["count"] == 0 and k["complaints"]["handling_hours"] == {"closed": 0, "average": None,
                                                                                    "p90": None}
    assert k["repairs"] == {"count": 0, "by_route": {}}
    assert k["overdue_now"]["count"] == sum(k["overdue_now"]["by_process"].values())

    report = cli("report", "violations", "--month", "2026-11", "--as", "quality")
    assert report.code == 0, report.err
    v = report.json
    assert (v["count"], v["amount"]) == (1, 30.0)
    assert v["by_responsible"] == {"engineering": {"kind": "group", "count": 1, "amount": 30.0, "deadlines": {"T1": 1}}}
    assert v["by_department"] == {"engineering": {"count": 1, "amount": 30.0, "people": {}}}
    assert v["violations"][0]["instance"] == late["instance"] and v["violations"][0]["deadline"] == "T1"
    assert cli("report", "violations", "--month", "2026-10").json["count"] == 0
    assert cli("report", "kpi", "--month", "2026-10").json["status"] == {}

    bad = cli("report", "kpi", "--month", "November")
    assert bad.code == 2 and "month" in one_line(bad.err)
    refused = cli("report", "violations", "--month", "2026-11", "--as", "front_desk")
    assert refused.code == 3
    one_line(refused.err)


# -- one readable line, never a traceback -----------------------------------------------------------

def test_bad_now_bad_json_and_unknown_user_are_one_line(cli):
    bad_now = cli("tasks", "--as", "front_desk", now="next tuesday")
    assert bad_now.code == 2 and "--now" in one_line(bad_now.err)
    bad_json = cli("start", "visit_request", "--as", "front_desk", "--data", "{room: 1}")
    assert bad_json.code == 2 and "--data" in one_line(bad_json.err)
    not_object = cli("start", "visit_request", "--as", "front_desk", "--data", "[1, 2]")
    assert not_object.code == 2
    one_line(not_object.err)
    ghost = cli("tasks", "--as", "nobody_here")
    assert ghost.code == 3 and "nobody_here" in one_line(ghost.err)
    usage = cli("complete")
    assert usage.code == 2 and "Traceback" not in usage.err
    for command in (("show", "9" * 23), ("history", "9" * 23), ("tasks", "--as", "butler", "--instance", "9" * 23),
                    ("show", "²")):                              # no row has such an id; no driver overflow
        r = cli(*command)
        assert r.code == 2 and "Traceback" not in r.err and "instance id" in r.err, (command, r.err)


def test_the_real_console_entry_point_reports_mistakes_in_one_line(sqlite_db, tmp_path):
    w = Wuye(sqlite_db.url)
    deployed = w.subprocess("deploy", LEAVE)
    assert deployed.code == 0, deployed.err
    assert json.loads(deployed.out)["deployed"][0]["id"] == "visit_request"
    started = w.subprocess("start", "visit_request", "--as", "front_desk", "--data", '{"room": "5-1"}', now=T0)
    assert started.code == 0 and json.loads(started.out)["ready"][0]["name"] == "register"
    missing_file = w.subprocess("deploy", str(tmp_path / "missing.bpmn"))
    assert missing_file.code == 2 and "missing.bpmn" in one_line(missing_file.err)
    bad_now = w.subprocess("timers", now="2026-13-45")
    assert bad_now.code == 2
    one_line(bad_now.err)

    empty = Wuye(f"sqlite:///{tmp_path / 'never-initialized.sqlite3'}")
    uninit = empty.subprocess("tasks", "--as", "front_desk")
    assert uninit.code != 0 and "wuye init" in one_line(uninit.err)


def test_an_unreachable_database_is_one_line(tmp_path):
    with socket_closed_port() as port:
        r = Wuye(f"postgresql+psycopg://postgres@127.0.0.1:{port}/wuye?connect_timeout=3")("tasks", "--as", "x")
    assert r.code != 0
    one_line(r.err)


class socket_closed_port:
    """A local port nothing listens on."""

    def __enter__(self) -> int:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def __exit__(self, *exc) -> None:
        return None
