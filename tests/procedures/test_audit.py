"""Tampering with the stored event log is found: `wuye audit verify` exits non-zero, says so in one
line on stderr, and names the first broken event by its seq. The tampering is done the way an
attacker with database access would: plain SQL on the events table, bypassing the repositories.
The tampering tests check a history recorded once, with no step of their own: they run once."""
from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from storage.chain import event_hash
from storage.models import Event
from tests.support import BPMN_DIR, Wuye, database, initialized_sqlite

LEAVE = str(BPMN_DIR / "leave_request.bpmn")


def _history(w: Wuye) -> None:
    """One instance with a few events: deploy, start, complete, complete."""
    assert w("deploy", LEAVE).code == 0
    started = w("start", "visit_request", "--as", "front_desk", "--data", '{"room": "8-8"}',
                now="2026-11-20T09:00:00+08:00").json
    done = w("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
             now="2026-11-20T09:10:00+08:00").json
    w("complete", done["ready"][0]["id"], "--as", "engineering", "--data", '{"hours": 1}',
      now="2026-11-20T09:40:00+08:00")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A SQLite file with a short, intact history, built once; each test tampers with a copy."""
    base = tmp_path_factory.mktemp("audit")
    db = initialized_sqlite(base, "template.sqlite3")
    _history(Wuye(db.url))
    db.dispose()                     # the last connection closed: the WAL is checkpointed into the file
    return base / "template.sqlite3"


@pytest.fixture
def chain(recorded, tmp_path):
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(recorded, path)
    db = database(f"sqlite:///{path}")
    w = Wuye(db.url)
    with db.engine.connect() as conn:
        seqs = list(conn.scalars(select(Event.seq).order_by(Event.seq)))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 8
    assert w("audit", "verify").json == {"ok": True, "events": len(seqs), "head": _hash(db, seqs[-1])}
    yield db, w, seqs
    db.dispose()


def _hash(db, seq: int) -> str:
    with db.engine.connect() as conn:
        return conn.scalar(select(Event.hash).where(Event.seq == seq))


def _broken(w: Wuye) -> int:
    r = w("audit", "verify")
    assert r.code != 0
    assert r.json["ok"] is False
    line = r.err.strip()
    assert "\n" not in line and "Traceback" not in line and f"seq {r.json['first_broken']['seq']}" in line
    return r.json["first_broken"]["seq"]


def _sql(db, statement) -> None:
    with db.engine.begin() as conn:
        assert conn.execute(statement).rowcount == 1


def _row(db, seq: int):
    with db.engine.connect() as conn:
        return conn.execute(select(Event).where(Event.seq == seq)).one()


@pytest.mark.once
@pytest.mark.parametrize("column", ["data", "actor", "type", "at", "task_id", "instance_id"])
def test_editing_any_field_of_an_event_names_that_event(chain, column):
    db, w, seqs = chain
    k = seqs[len(seqs) // 2]
    row = _row(db, k)
    value = {"data": {**row.data, "data": {"content": "伪造"}}, "actor": "mallory", "type": "task_claimed",
             "at": row.at + timedelta(seconds=1), "task_id": "00000000-0000-0000-0000-000000000000",
             "instance_id": 999}[column]
    _sql(db, update(Event).where(Event.seq == k).values({column: value}))
    assert _broken(w) == k


def _raw(db, sql: str, **params) -> None:
    """Plain SQL on the stored text, as an attacker (or an older version of wuye) wrote it."""
    with db.engine.begin() as conn:
        assert conn.exec_driver_sql(sql, tuple(params.values())).rowcount >= 1


@pytest.mark.once
def test_a_log_whose_data_was_stored_in_another_form_still_verifies_to_the_same_head(chain):
    """Data kept as json.dumps wrote it before (spaces, \\u escapes) and a time without its fraction
    mean the same values: the audit decodes what it cannot hash as stored, and accepts it."""
    db, w, seqs = chain
    head = _hash(db, seqs[-1])
    with db.engine.begin() as conn:
        for seq, data in conn.execute(select(Event.seq, Event.data)).all():
            conn.exec_driver_sql("UPDATE events SET data = ? WHERE seq = ?", (json.dumps(data), seq))
        conn.exec_driver_sql("UPDATE events SET at = substr(at, 1, 19) WHERE seq = ? AND at LIKE '%.000000'",
                             (seqs[2],))
    assert w("audit", "verify").json == {"ok": True, "events": len(seqs), "head": head}


@pytest.mark.once
@pytest.mark.parametrize("edit", [
    "UPDATE events SET data = data || ',\"instance\":1' WHERE seq = ?",            # text after the data
    "UPDATE events SET data = ' ' || data WHERE seq = ?",                          # same value, other text…
    "UPDATE events SET instance_id = instance_id + 0.5 WHERE seq = ?",             # a number that is no id
    "UPDATE events SET instance_id = CAST(instance_id AS TEXT) || ',' WHERE seq = ?",
    "UPDATE events SET actor = actor || '\",\"x' WHERE seq = ?",                   # a quote in a string
    "UPDATE events SET at = replace(at, ' ', 'T') || '\"' WHERE seq = ?",         # a time that is no time
])
def test_editing_the_stored_text_names_that_event(chain, edit):
    db, w, seqs = chain
    with db.engine.connect() as conn:      # an event of the instance, in the middle of the log
        k = conn.scalar(select(Event.seq).where(Event.instance_id.is_not(None), Event.seq >= seqs[len(seqs) // 2])
                        .order_by(Event.seq))
    if "' ' ||" in edit:                       # …and another value: still found
        _raw(db, "UPDATE events SET data = replace(data, '\"', '\"x') WHERE seq = ?", seq=k)
    _raw(db, edit, seq=k)
    assert _broken(w) == k


@pytest.mark.once
def test_editing_the_submitted_data_of_a_completed_task_is_found(chain):
    db, w, _seqs = chain
    with db.engine.connect() as conn:
        k, data = conn.execute(select(Event.seq, Event.data).where(Event.type == "task_completed")
                               .order_by(Event.seq)).first()
    assert data["data"]["content"] == "门锁坏了"
    _sql(db, update(Event).where(Event.seq == k).values(data={**data, "data": {**data["data"], "content": "无"}}))
    assert _broken(w) == k


@pytest.mark.once
def test_deleting_a_middle_event_names_the_missing_seq(chain):
    db, w, seqs = chain
    k = seqs[3]
    _sql(db, delete(Event).where(Event.seq == k))
    assert _broken(w) == k


@pytest.mark.once
def test_deleting_the_last_event_is_found_through_the_chain_head(chain):
    db, w, seqs = chain
    _sql(db, delete(Event).where(Event.seq == seqs[-1]))
    assert _broken(w) == seqs[-1]


@pytest.mark.once
def test_swapping_two_events_seq_names_the_first_of_them(chain):
    db, w, seqs = chain
    a, b = seqs[4], seqs[5]
    with db.engine.begin() as conn:
        conn.execute(update(Event).where(Event.seq == a).values(seq=-1))
        conn.execute(update(Event).where(Event.seq == b).values(seq=a))
        conn.execute(update(Event).where(Event.seq == -1).values(seq=b))
    assert _broken(w) == a


def _rehash(db, seq: int, **changes) -> None:
    """Edit an event and recompute its own hash correctly (but not the next event's prev_hash)."""
    row = _row(db, seq)
    fields = {"seq": row.seq, "instance_id": row.instance_id, "type": row.type, "actor": row.actor, "at": row.at,
              "task_id": row.task_id, "data": row.data, "prev_hash": row.prev_hash, **changes}
    _sql(db, update(Event).where(Event.seq == seq).values(**changes, hash=event_hash(**fields)))


@pytest.mark.once
def test_an_edited_event_with_a_recomputed_hash_breaks_the_link_to_the_next_one(chain):
    db, w, seqs = chain
    k = seqs[2]
    _rehash(db, k, actor="mallory")
    assert _broken(w) == k + 1


@pytest.mark.once
def test_the_last_event_edited_and_rehashed_is_named_not_a_seq_past_the_end(chain):
    """Only the chain head remembers the last hash: the report must name the last event itself."""
    db, w, seqs = chain
    _rehash(db, seqs[-1], actor="mallory")
    assert _broken(w) == seqs[-1]
    assert "edited" in w("audit", "verify").json["first_broken"]["reason"]


@pytest.mark.once
def test_rewriting_the_whole_tail_consistently_is_still_caught_by_the_head(chain):
    """An attacker who re-hashes every event after the edited one still cannot match the head."""
    db, w, seqs = chain
    k = seqs[1]
    _rehash(db, k, actor="mallory")
    for seq in seqs[2:]:
        _rehash(db, seq, prev_hash=_hash(db, seq - 1))
    assert _broken(w) == seqs[-1]


def test_audit_verify_on_postgresql_too(wuye, db):
    _history(wuye)
    assert wuye("audit", "verify").json["ok"] is True
    with db.engine.connect() as conn:
        k = conn.scalar(select(Event.seq).where(Event.type == "task_completed").order_by(Event.seq).limit(1))
    with db.engine.begin() as conn:
        conn.execute(update(Event).where(Event.seq == k).values(actor="mallory"))
    assert _broken(wuye) == k

