"""Re-execution (`wuye replay`, issue 10): an instance run again from its recorded inputs matches its
record; a record altered in the database — an event the engine derived, or the instance's stored
data — is caught by the replay itself, even with the hash chain re-made to hide the edit."""
from __future__ import annotations

from sqlalchemy import select, update

from storage.models import Event, Instance
from tests.support import BPMN_DIR, Wuye, rebuild_chain_from

LEAVE = str(BPMN_DIR / "leave_request.bpmn")


def _visit(w: Wuye) -> int:
    """A visit request: registered, repaired late (its deadline breached), and done."""
    assert w("deploy", LEAVE).code == 0
    started = w("start", "visit_request", "--as", "front_desk", "--data", '{"room": "8-8"}',
                now="2026-11-20T09:00:00+08:00").json
    done = w("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
             now="2026-11-20T09:10:00+08:00").json
    repair = done["ready"][0]["id"]
    assert w("claim", repair, "--as", "engineering", now="2026-11-20T09:20:00+08:00").code == 0
    w("timers", now="2026-11-23T10:00:00+08:00")                          # the repair's deadline passes
    w("complete", repair, "--as", "engineering", "--data", '{"hours": 1}', now="2026-11-23T11:00:00+08:00")
    return started["instance"]


def test_an_untouched_instance_replays_to_matches(wuye):
    instance = _visit(wuye)
    replayed = wuye("replay", str(instance), "--as", "quality")
    assert replayed.code == 0, replayed.err
    assert replayed.json == {"instance": instance, "matches": True, "events": replayed.json["events"]}
    assert replayed.json["events"] >= 8
    every = wuye("replay", "--all")
    assert every.code == 0 and every.json["ok"] is True and every.json["matches"] == every.json["instances"]


def test_a_violation_whose_payer_was_changed_is_caught_by_the_replay(wuye, db):
    instance = _visit(wuye)
    with db.engine.connect() as conn:
        violation = conn.execute(select(Event).where(Event.instance_id == instance, Event.type == "violation")).one()
    rebuild_chain_from(db, violation.seq, data={**violation.data, "responsible": "front_desk"})
    assert wuye("audit", "verify").json["ok"] is True                     # the chain was re-made
    replayed = wuye("replay", str(instance))
    assert replayed.code == 1
    first = replayed.json["first_divergence"]
    assert first["seq"] == violation.seq
    assert first["expected"]["data"]["responsible"] == "front_desk"
    assert first["actual"]["data"]["responsible"] == violation.data["responsible"]
    assert "重放与记录不符" in replayed.err and f"seq {violation.seq}" in replayed.err


def test_stored_instance_data_that_no_step_produced_is_caught(wuye, db):
    instance = _visit(wuye)
    with db.engine.begin() as conn:
        data = conn.scalar(select(Instance.data).where(Instance.id == instance))
        conn.execute(update(Instance).where(Instance.id == instance).values(data={**data, "content": "没有问题"}))
    replayed = wuye("replay", str(instance))
    assert replayed.code == 1 and replayed.json["final"]["expected"]["data"]["content"] == "没有问题"
    assert replayed.json["final"]["actual"]["data"]["content"] == "门锁坏了"


def test_the_desk_may_not_replay_and_an_unknown_instance_is_named(wuye):
    _visit(wuye)
    assert wuye("replay", "1", "--as", "front_desk").code == 3
    missing = wuye("replay", "999")
    assert missing.code == 4 and "999" in missing.err
    assert wuye("replay").code == 2
