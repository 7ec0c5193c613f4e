"""The timer loop: it sleeps until the next due time read from instances.next_timer_at, is woken by
commits that arm an earlier timer (in process, and through PostgreSQL's NOTIFY from another
process), and turns a failing instance into an incident with backoff while the others fire.

Business time is a FixedClock set years away from the wall clock (a timer fired by wall time would
show); real waiting happens only for the loop's wake-up mechanics, always bounded."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import text

from cli.timer_loop import CONTENDED, PAST_DUE, TimerLoop, notify, sleep_seconds
from engine.clock import FixedClock, parse_instant, to_iso
from engine.step.cache import workflows
from engine.step.runtime import TIMERS_CHANNEL
from storage.signals import add_commit_listener, remove_commit_listener
from tests.integration.loops import (
    HEALTHY,
    T0,
    audit_ok,
    deploy_loop_process,
    event_types,
    instance_row,
    start_instances,
    timer_fired_counts,
    wait_until,
)
from tests.support import ROOT, Wuye, found, initialized

# -- sleeping ------------------------------------------------------------------------------------------

def test_the_sleep_is_the_time_to_the_next_due_timer_bounded_by_the_safety_net():
    assert sleep_seconds(T0, None, 30.0) == 30.0
    assert sleep_seconds(T0, T0 + timedelta(seconds=5), 30.0) == pytest.approx(5 + PAST_DUE)
    assert sleep_seconds(T0, T0 + timedelta(hours=2), 30.0) == 30.0
    assert sleep_seconds(T0, T0, 30.0) == pytest.approx(PAST_DUE)       # fires strictly after due
    assert sleep_seconds(T0, T0 - timedelta(seconds=1), 30.0) == CONTENDED


def test_the_loop_plans_its_sleep_from_the_earliest_next_timer_at(db):
    clock = FixedClock(T0)
    deploy_loop_process(db, clock)
    loop = TimerLoop(db, clock, max_sleep=120.0)
    assert loop.plan() == 120.0 and loop.next_due is None
    start_instances(db, clock, [T0 + timedelta(hours=1), T0 + timedelta(seconds=90)])
    assert loop.plan() == pytest.approx(90 + PAST_DUE)
    assert loop.next_due == T0 + timedelta(seconds=90)
    clock.advance(timedelta(seconds=91))
    assert [r["timer"] for r in loop.sweep()] == ["late"]
    assert loop.plan() == 120.0 and loop.next_due == T0 + timedelta(hours=1)
    clock.set(T0 + timedelta(minutes=59, seconds=30))
    assert loop.plan() == pytest.approx(30 + PAST_DUE)


def test_the_sweep_reads_the_index_and_ignores_timers_not_yet_due(db):
    """Strictly past due: at the due instant nothing fires, one microsecond later it does."""
    clock = FixedClock(T0)
    deploy_loop_process(db, clock)
    (instance,) = start_instances(db, clock, [T0 + timedelta(minutes=5)])
    clock.set(T0 + timedelta(minutes=5))
    loop = TimerLoop(db, clock)
    assert loop.sweep() == []
    clock.advance(timedelta(microseconds=1))
    assert [r["instance"] for r in loop.sweep()] == [instance]
    assert loop.sweep() == []
    assert timer_fired_counts(db) == {instance: 1}


# -- waking --------------------------------------------------------------------------------------------

def test_only_a_committed_signal_reaches_the_listeners(db):
    heard = []

    def listener() -> None:
        heard.append(1)
    add_commit_listener(TIMERS_CHANNEL, listener)
    try:
        with db.uow() as uow:
            uow.signal_on_commit(TIMERS_CHANNEL)          # rolled back: nobody is told
        assert heard == []
        with db.uow() as uow:
            uow.signal_on_commit(TIMERS_CHANNEL)
            uow.signal_on_commit(TIMERS_CHANNEL)
            uow.commit()
        assert heard == [1]
    finally:
        remove_commit_listener(TIMERS_CHANNEL, listener)      # the one added (heard.append never was)


def test_a_commit_that_arms_an_earlier_timer_wakes_the_sleeping_loop(db, running_loops):
    clock = FixedClock(T0)
    deploy_loop_process(db, clock)
    loop = TimerLoop(db, clock, max_sleep=300.0)      # without a wake-up it would sleep 5 minutes
    running_loops.append(loop)
    loop.start()
    wait_until(lambda: loop.sleeps == 1, 10, "the first sweep and plan")
    assert loop.next_due is None                      # planned before the instance existed

    due = T0 + timedelta(minutes=30)
    (instance,) = start_instances(db, clock, [due])   # this commit signals the loop
    wait_until(lambda: loop.next_due == due, 10, "the loop to see the new timer")
    assert loop.sweeps >= 2

    clock.set(due + timedelta(seconds=1))             # business time moved; tell the loop
    notify()
    wait_until(lambda: loop.fired == 1, 10, "the timer to fire")   # counted when the sweep ends
    assert timer_fired_counts(db) == {instance: 1}
    loop.stop()
    assert not found(loop._thread, "the loop's thread").is_alive()


@pytest.mark.postgres
def test_a_commit_in_another_process_wakes_the_loop_through_postgres_notify(pg_url, tmp_path, running_loops):
    empty = tmp_path / "no-processes"
    empty.mkdir()
    db = initialized(pg_url, empty)
    try:
        clock = FixedClock(T0)
        deploy_loop_process(db, clock)
        loop = TimerLoop(db, clock, max_sleep=300.0)
        running_loops.append(loop)
        loop.start()
        wait_until(lambda: loop.sleeps == 1, 15, "the loop to listen, sweep and plan")
        assert loop.next_due is None

        due = "2031-03-03T10:00:00+08:00"
        started = Wuye(pg_url).subprocess("start", "loop_deadline", "--as", "dispatcher", "--data",
                                          f'{{"due": "{due}", "recover_at": "{HEALTHY}"}}', now=to_iso(T0))
        assert started.code == 0, started.err
        # only NOTIFY crosses the process boundary; the loop would otherwise sleep 300 s
        wait_until(lambda: loop.next_due == parse_instant(due), 15, "the NOTIFY to wake the loop")
    finally:
        for loop in running_loops:
            loop.stop()
        db.dispose()


# -- incidents -----------------------------------------------------------------------------------------

def test_a_failing_timer_is_an_incident_with_backoff_and_the_others_still_fire(db):
    clock = FixedClock(T0)
    deploy_loop_process(db, clock)
    (failing,) = start_instances(db, clock, [T0 + timedelta(minutes=10)], recover_at=to_iso(T0 + timedelta(hours=2)))
    healthy = start_instances(db, clock, [T0 + timedelta(minutes=20), T0 + timedelta(minutes=30)])
    loop = TimerLoop(db, clock)

    at = clock.set(T0 + timedelta(hours=1))
    results = loop.sweep()
    assert sorted(r["instance"] for r in results if "timer" in r) == healthy
    (incident,) = [r for r in results if "incident" in r]
    assert incident["instance"] == failing and "ZeroDivisionError" in incident["incident"]
    row = instance_row(db, failing)
    assert row.status == "running" and "escalate" in row.error and row.retries == 1
    assert row.next_timer_at == at + timedelta(minutes=1)
    assert event_types(db, failing)[-1] == "incident"

    clock.advance(timedelta(seconds=30))              # backing off: not retried yet
    assert loop.sweep() == []
    at = clock.advance(timedelta(seconds=31))
    (again,) = loop.sweep()
    assert again["retries"] == 2 and instance_row(db, failing).next_timer_at == at + timedelta(minutes=2)

    clock.set(T0 + timedelta(hours=2, seconds=1))     # the script works from 11:00 on
    (fired,) = loop.sweep()
    assert fired["instance"] == failing and fired["timer"] == "late"
    row = instance_row(db, failing)
    assert row.status == "completed" and row.error is None and row.retries == 0 and row.next_timer_at is None
    types = event_types(db, failing)
    assert types.count("incident") == 2 and types.count("timer_fired") == 1 and "incident_resolved" in types
    assert timer_fired_counts(db) == {failing: 1, healthy[0]: 1, healthy[1]: 1}
    assert audit_ok(db)


def test_an_instance_that_breaks_the_engine_is_an_incident_and_does_not_stop_the_sweep(db):
    clock = FixedClock(T0)
    deploy_loop_process(db, clock)
    broken, fine = start_instances(db, clock, [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)])
    with db.uow() as uow:                             # a state no loader accepts
        uow.session.execute(text("UPDATE instances SET state = 'not json' WHERE id = :id"), {"id": broken})
        uow.commit()
    workflows.clear()             # as a worker that has never loaded it: the state is read from the row
    clock.set(T0 + timedelta(minutes=5))
    results = TimerLoop(db, clock).sweep()
    assert [r["instance"] for r in results if "timer" in r] == [fine]
    (incident,) = [r for r in results if "incident" in r]
    assert incident["instance"] == broken and incident["incident"].startswith("JSONDecodeError")
    assert instance_row(db, broken).next_timer_at == clock.now() + timedelta(minutes=1)
    assert audit_ok(db)


# -- the commands --------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wuye_serve_runs_the_web_app_and_the_timer_loop_and_stops_on_sigterm(sqlite_db):
    pytest.importorskip("webforms", reason="the web app (webforms) is not in this tree yet")
    url = sqlite_db.url
    clock = FixedClock(T0)
    deploy_loop_process(sqlite_db, clock)
    (instance,) = start_instances(sqlite_db, clock, [T0 + timedelta(minutes=5)])
    port = _free_port()
    env = {**os.environ, "WUYE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "cli", f"--now={to_iso(T0 + timedelta(hours=1))}", "serve",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: timer_fired_counts(sqlite_db) == {instance: 1} or proc.poll() is not None, 60,
                   "wuye serve to fire the due timer")
        assert proc.poll() is None, proc.communicate()[1]

        def answers() -> bool:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/processes", timeout=2)
            except urllib.error.HTTPError:
                return True                            # 401: the app is there, we are not logged in
            except OSError:
                return False
            return True
        wait_until(answers, 30, "the web app to answer")
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "timer loop running" in err and "wuye serve stopped" in err
    assert err.splitlines()[0][:4].isdigit()             # log lines start with a timestamp


# -- signed checkpoints at intervals -------------------------------------------------------------------

def test_the_loop_writes_a_signed_checkpoint_a_day_after_the_last_one_if_the_log_grew(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WUYE_AUDIT_KEY", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("WUYE_CHECKPOINT_DIR", str(tmp_path / "kept"))
    with db.uow(readonly=True) as uow:
        began = found(uow.events.first_at(), "the initialized database's first event")
    clock = FixedClock(began + timedelta(hours=1))
    deploy_loop_process(db, clock)
    loop = TimerLoop(db, clock)
    assert loop.checkpoint() is None                       # the log is not a day old yet
    clock.advance(timedelta(days=1, seconds=1))
    first = found(loop.checkpoint(), "a checkpoint a day after the log began")
    assert first.parent == tmp_path / "kept" and first.read_text(encoding="utf-8").startswith("wuye.local/events\n")
    clock.advance(timedelta(minutes=11))
    assert loop.checkpoint() is None                       # the last one is minutes old
    start_instances(db, clock, [clock.now() + timedelta(hours=1)])
    clock.advance(timedelta(days=1))
    second = found(loop.checkpoint(), "the next one a day later, the log having grown")
    assert second != first
    checked = Wuye(db.url)("audit", "verify", "--against", str(first))
    assert checked.code == 0, checked.err                  # the older checkpoint is still today's prefix
    clock.advance(timedelta(days=2))
    assert loop.checkpoint() is None                       # nothing happened since: nothing to sign


def test_the_sweep_delivers_a_message_one_instance_threw_to_the_instance_its_key_names(db):
    from engine.rules.permissions import SYSTEM
    from engine.usecases.deploy import deploy
    from engine.usecases.runner import handle
    from engine.usecases.start_instance import start_instance
    from engine.usecases.tasks import complete_task
    from tests.support import BPMN_DIR
    clock = FixedClock(T0)
    handle(db, deploy, actor=SYSTEM, clock=clock, files=[
        (n, (BPMN_DIR / "interop" / n).read_bytes()) for n in ("correlated_message.bpmn", "throws_payment.bpmn")])
    bill = handle(db, start_instance, actor="finance", clock=clock, process_id="correlated_message",
                  data={"bill_no": "B-3"})["instance"]
    cashier = handle(db, start_instance, actor="finance", clock=clock, process_id="throws_payment", data={})
    handle(db, complete_task, actor="finance", clock=clock, task_id=cashier["ready"][0]["id"],
           data={"bill_no": "B-3", "amount": 80})
    loop = TimerLoop(db, clock)
    assert loop.sweep() == [{"instance": cashier["instance"], "message": "payment_received", "delivered_to": bill}]
    assert instance_row(db, cashier["instance"]).status == "completed"
    assert loop.sweep() == []
    assert audit_ok(db)
