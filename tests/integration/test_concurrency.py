"""Concurrent writers with real threads (and real processes), on SQLite and on PostgreSQL: the loser
of a race for one instance gets a Conflict (exit 5), never a lost or doubled step; writers to
different instances all succeed; the hash chain stays contiguous and valid."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select

from engine.errors import Conflict, NotPermitted
from engine.usecases.audit import verify_audit
from engine.usecases.tasks import claim_task, complete_task
from storage.models import Event, Instance
from storage.uow import ConcurrentUpdate
from tests.support import BPMN_DIR, ROOT, Wuye, act, at, found, initialized

CLOCK = at("2026-11-20T09:30:00+08:00")


def _started(db, n: int) -> list[dict]:
    w = Wuye(db.url)
    assert w("deploy", str(BPMN_DIR / "leave_request.bpmn")).code == 0
    out = []
    for i in range(n):
        r = w("start", "visit_request", "--as", "front_desk", "--data", f'{{"room": "{i}-1"}}',
              now="2026-11-20T09:00:00+08:00")
        assert r.code == 0, r.err
        out.append(r.json)
    return out


def _race(fns) -> list:
    """Run the callables in threads released together; return each one's result or exception."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 -- the outcome is what we inspect
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return results


def _complete(db, user: str, task_id: str, data: dict):
    return lambda: act(db, complete_task, as_=user, at=CLOCK, task_id=task_id, data=data)


def _claim(db, user: str, task_id: str):
    return lambda: act(db, claim_task, as_=user, at=CLOCK, task_id=task_id)


def _chain_ok(db) -> int:
    report = act(db, verify_audit, at=CLOCK)
    with db.uow(readonly=True) as uow:
        seqs = list(uow.session.scalars(select(Event.seq).order_by(Event.seq)))
    assert report["ok"] is True, report
    assert seqs == list(range(1, len(seqs) + 1))
    return len(seqs)


def _events(db, instance: int, type_: str) -> list[dict]:
    with db.uow(readonly=True) as uow:
        return [{"actor": e.actor, "data": e.data} for e in uow.events.for_instance(instance) if e.type == type_]


def _version(db, instance: int) -> int:
    with db.uow(readonly=True) as uow:
        return uow.instances.get(instance).version


def test_two_users_completing_the_same_task_at_once_one_wins_the_other_conflicts(db):
    (started,) = _started(db, 1)
    task = started["ready"][0]["id"]
    version = _version(db, started["instance"])
    results = _race([_complete(db, "front_desk", task, {"content": "甲报修内容"}),
                     _complete(db, "demo", task, {"content": "乙报修内容"})])
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Conflict)]          # through the runner: never storage's error
    assert len(wins) == 1 and len(losses) == 1, results
    (completed,) = _events(db, started["instance"], "task_completed")
    assert completed["actor"] in ("front_desk", "demo")
    typed = {"front_desk": "甲报修内容", "demo": "乙报修内容"}
    assert completed["data"]["data"]["content"] == typed[completed["actor"]]
    assert len(_events(db, started["instance"], "task_ready")) == 2        # register, then one repair
    with db.uow(readonly=True) as uow:
        ready = uow.tasks.for_instance(started["instance"], states=["ready"])
        assert [t.name for t in ready] == ["repair"]
        assert uow.instances.get(started["instance"]).version == version + 1     # exactly one step
    _chain_ok(db)


def test_many_threads_completing_different_instances_all_succeed(db):
    started = _started(db, 8)
    results = _race([_complete(db, "front_desk" if i % 2 else "demo", s["ready"][0]["id"], {"content": f"第{i}单"})
                     for i, s in enumerate(started)])
    assert all(isinstance(r, dict) for r in results), results
    for s in started:
        assert len(_events(db, s["instance"], "task_completed")) == 1
    _chain_ok(db)


def test_a_claim_race_has_one_winner(db):
    (started,) = _started(db, 1)
    task = started["ready"][0]["id"]
    results = _race([_claim(db, "front_desk", task), _claim(db, "demo", task)])
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1 and isinstance(next(r for r in results if not isinstance(r, dict)), Conflict), results
    winner = wins[0]["assignee"]
    with db.uow(readonly=True) as uow:
        assert uow.tasks.get(task).assignee == winner
    assert [e["data"]["assignee"] for e in _events(db, started["instance"], "task_claimed")] == [winner]
    loser = "demo" if winner == "front_desk" else "front_desk"
    with pytest.raises(NotPermitted):
        _complete(db, loser, task, {"content": "不是我的任务"})()
    _chain_ok(db)


def test_mixed_writers_keep_the_hash_chain_valid_and_contiguous(db):
    started = _started(db, 6)
    fns = []
    for i, s in enumerate(started):
        task = s["ready"][0]["id"]
        fns.append(_complete(db, "front_desk", task, {"content": f"并发{i}"}))
        fns.append(_claim(db, "demo", task))           # races its own instance's completion
    results = _race(fns)
    assert all(isinstance(r, (dict, Conflict, NotPermitted)) for r in results), results
    for s in started:
        assert len(_events(db, s["instance"], "task_completed")) <= 1
    before = _chain_ok(db)
    assert before > 6 * 3


def test_two_cli_processes_complete_the_same_task_one_exits_0_the_other_5(db):
    (started,) = _started(db, 1)
    task = started["ready"][0]["id"]
    env = {**os.environ, "WUYE_DATABASE_URL": db.url, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "cli", "--now=2026-11-20T09:30:00+08:00", "complete", task, "--data",
            '{"content": "进程报修"}', "--as"]
    procs = [subprocess.Popen([*argv, user], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for user in ("front_desk", "demo")]
    outcomes = [(p.wait(timeout=120), found(p.stderr, "a CLI's stderr pipe").read()) for p in procs]
    for p in procs:
        found(p.stdout, "a CLI's stdout pipe").close()
        found(p.stderr, "a CLI's stderr pipe").close()
    assert sorted(code for code, _ in outcomes) == [0, 5], outcomes
    loser_err = next(err for code, err in outcomes if code == 5)
    assert loser_err.count("\n") == 1 and "Traceback" not in loser_err
    assert len(_events(db, started["instance"], "task_completed")) == 1
    _chain_ok(db)


def test_a_stale_write_to_an_instance_is_refused_by_its_version_column(pg_url, tmp_path):
    """The optimistic guard under the row lock, on PostgreSQL (SQLite serialises writers at BEGIN,
    so two writers cannot both hold a snapshot there): the later of two writers that read the same
    version loses, and nothing of its transaction is kept."""
    (tmp_path / "np").mkdir()
    db = initialized(pg_url, tmp_path / "np")
    try:
        (started,) = _started(db, 1)
        iid = started["instance"]
        with pytest.raises(ConcurrentUpdate), db.uow() as second:  # noqa: PT012 -- the whole race is the raising block
            b = second.session.scalars(select(Instance).where(Instance.id == iid)).one()
            with db.uow() as first:
                a = first.session.scalars(select(Instance).where(Instance.id == iid)).one()
                assert a.version == b.version
                a.error = "first writer"
                first.commit()
            b.error = "second writer"
            second.events.append(type="probe", actor="test", at=CLOCK.now(), instance_id=iid)
            second.commit()
        with db.uow(readonly=True) as uow:
            inst = uow.instances.get(iid)
            assert inst.error == "first writer"
            assert [e for e in uow.events.for_instance(iid) if e.type == "probe"] == []
        _chain_ok(db)
    finally:
        db.dispose()
