"""The audit log's head, its seals and the rows derived from it (issue 14, finding 13): a deleted
chain head is an error, a tail cut with the head moved back is caught by a seal, `audit verify
--deep` checks violations, task completions and instance statuses against their events, and an
edit with the chain re-hashed over it names the FIRST edited event, not the last."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from storage.models import ChainHead, ChainSeal, Event, Instance, Task, Violation
from tests.support import BPMN_DIR, Wuye, rebuild_chain_from

LEAVE = str(BPMN_DIR / "leave_request.bpmn")


@pytest.fixture(autouse=True)
def _own_audit_key(tmp_path, monkeypatch):
    """Each test signs with a key of its own (PostgreSQL's default is ~/.wuye/audit.key)."""
    monkeypatch.setenv("WUYE_AUDIT_KEY", str(tmp_path / "audit.key"))


def _visit(w: Wuye) -> int:
    """A visit request: registered, its repair late (a violation, the supervisor's 超时处理), and done."""
    assert w("deploy", LEAVE).code == 0
    started = w("start", "visit_request", "--as", "front_desk", "--data", '{"room": "8-8"}',
                now="2026-11-20T09:00:00+08:00").json
    done = w("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
             now="2026-11-20T09:10:00+08:00").json
    repair = done["ready"][0]["id"]
    assert w("claim", repair, "--as", "engineering", now="2026-11-20T09:20:00+08:00").code == 0
    w("timers", now="2026-11-23T10:00:00+08:00")
    escalate = w("tasks", "--as", "cs_supervisor", "--instance", str(started["instance"])).json
    assert [t["name"] for t in escalate] == ["escalate"] and repair != escalate[0]["id"]
    ended = w("complete", escalate[0]["id"], "--as", "cs_supervisor", now="2026-11-23T11:00:00+08:00")
    assert ended.code == 0 and ended.json["status"] == "completed", ended.err
    return started["instance"]


def _events(db) -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.scalars(select(Event.seq).order_by(Event.seq)))


def _verify(w: Wuye, *flags: str):
    out = w("audit", "verify", *flags)
    assert (out.code == 0) == (out.json["ok"] is True), out.err
    return out


def _violation_event(db, instance: int):
    with db.engine.connect() as conn:
        return conn.execute(select(Event).where(Event.instance_id == instance, Event.type == "violation")).one()


def test_a_deleted_chain_head_is_an_error(wuye, db):
    _visit(wuye)
    last = _events(db)[-1]
    with db.engine.begin() as conn:
        conn.execute(delete(ChainHead))
    out = _verify(wuye)
    assert out.code == 1
    assert out.json["first_broken"]["seq"] == last and "chain head is missing" in out.json["first_broken"]["reason"]
    assert "审计链已损坏" in out.err


def test_a_tail_cut_with_the_head_moved_back_is_caught_by_the_seal(wuye, db):
    _visit(wuye)
    sealed = wuye("audit", "seal", now="2026-11-23T11:05:00+08:00")
    assert sealed.code == 0, sealed.err
    seqs = _events(db)
    assert sealed.json["seq"] == seqs[-1]
    assert _verify(wuye).code == 0
    keep = seqs[-4]
    with db.engine.begin() as conn:
        kept_hash = conn.scalar(select(Event.hash).where(Event.seq == keep))
        conn.execute(delete(Event).where(Event.seq > keep))
        conn.execute(update(ChainHead).values(seq=keep, hash=kept_hash))
    out = _verify(wuye)
    assert out.code == 1
    assert out.json["first_broken"]["seq"] == keep + 1
    assert f"ends at event {keep} but event {seqs[-1]} was sealed" in out.json["first_broken"]["reason"]


def test_a_forged_seal_is_refused(wuye, db):
    _visit(wuye)
    assert wuye("audit", "seal").code == 0
    with db.engine.begin() as conn:
        conn.execute(update(ChainSeal).values(hash="0" * 64))
    out = _verify(wuye)
    assert out.code == 1 and "seal" in out.json["first_broken"]["reason"]


@pytest.mark.parametrize("edit", ["violation_amount", "completed_by", "instance_status"])
def test_deep_verify_names_a_derived_row_edited_behind_the_events(wuye, db, edit):
    instance = _visit(wuye)
    violation = _violation_event(db, instance)
    with db.engine.connect() as conn:
        done = conn.execute(select(Event).where(Event.instance_id == instance, Event.type == "task_completed")
                            .order_by(Event.seq)).first()
        ended = conn.scalar(select(Event.seq).where(Event.instance_id == instance,
                                                    Event.type == "instance_completed"))
    with db.engine.begin() as conn:
        if edit == "violation_amount":
            conn.execute(update(Violation).where(Violation.instance_id == instance).values(amount=0))
            expected, column = violation.seq, "violations"
        elif edit == "completed_by":
            conn.execute(update(Task).where(Task.id == done.task_id).values(completed_by="mallory"))
            expected, column = done.seq, "tasks"
        else:
            conn.execute(update(Instance).where(Instance.id == instance).values(status="running"))
            expected, column = ended, "instances"
    assert _verify(wuye).code == 0                        # the chain itself is whole
    out = _verify(wuye, "--deep")
    assert out.code == 1, out.json
    assert out.json["first_broken"]["seq"] == expected
    assert column in out.json["first_broken"]["reason"]
    assert out.json["derived"][0]["seq"] == expected


def test_an_untouched_log_passes_deep_verify(wuye):
    _visit(wuye)
    out = _verify(wuye, "--deep")
    assert out.code == 0 and "derived" not in out.json


def test_a_violation_edited_and_the_chain_rehashed_names_the_first_edited_event_not_the_last(wuye, db):
    instance = _visit(wuye)
    assert wuye("audit", "seal").code == 0
    violation = _violation_event(db, instance)
    last = _events(db)[-1]
    assert violation.seq < last
    rebuild_chain_from(db, violation.seq, data={**violation.data, "amount": 0})
    out = _verify(wuye)
    assert out.code == 1, out.json
    assert out.json["first_broken"]["seq"] == violation.seq
    assert f"seq {violation.seq}" in out.err
