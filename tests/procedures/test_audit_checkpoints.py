"""Integrity beyond the hash chain (issue 10): a signed checkpoint kept outside the database proves
the log it was made of is still today's prefix. Whoever holds the database can rebuild the chain
(edit an event and re-hash everything after it, head included) or cut its tail and set the head
back: `audit verify` then says ok, but `audit verify --against` the auditor's checkpoint does not.
And one event's inclusion proof, O(log n) hashes, checks it against a root without the whole log."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from storage.merkle import BLOCK, MerkleRepository, leaf_hash, root_of, verify_inclusion
from storage.models import ChainHead, Event, MerkleNode
from tests.support import BPMN_DIR, Wuye, database, initialized_sqlite, rebuild_chain_from

pytestmark = pytest.mark.once          # a history recorded once, tampered with by SQL: no steps of its own
LEAVE = str(BPMN_DIR / "leave_request.bpmn")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("checkpoints")
    db = initialized_sqlite(base, "template.sqlite3")
    w = Wuye(db.url)
    assert w("deploy", LEAVE).code == 0
    for room in ("8-8", "9-9"):
        started = w("start", "visit_request", "--as", "front_desk", "--data", f'{{"room": "{room}"}}',
                    now="2026-11-20T09:00:00+08:00").json
        w("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "门锁坏了"}',
          now="2026-11-20T09:10:00+08:00")
    db.dispose()
    return base / "template.sqlite3"


@pytest.fixture
def log(recorded, tmp_path, monkeypatch):
    """A copy of the recorded log, its signing key beside it, and a checkpoint an auditor took away."""
    path = tmp_path / "wuye.sqlite3"
    shutil.copy(recorded, path)
    monkeypatch.delenv("WUYE_AUDIT_KEY", raising=False)
    db = database(f"sqlite:///{path}")
    w = Wuye(db.url)
    note = tmp_path / "auditor" / "checkpoint.txt"
    note.parent.mkdir()
    made = w("audit", "checkpoint", "--out", str(note), "--holder", "品质部 王审计", "--as", "quality")
    assert made.code == 0, made.err
    yield db, w, note, made.json
    db.dispose()


def _events(db) -> list:
    with db.engine.connect() as conn:
        return list(conn.execute(select(Event).order_by(Event.seq)))


def test_a_checkpoint_is_a_signed_note_that_verifies_against_the_log_it_was_made_of(log):
    db, w, note, made = log
    text = note.read_text(encoding="utf-8")
    body, _, signature = text.partition("\n\n")
    origin, size, _root = body.split("\n")
    assert (origin, int(size)) == ("wuye.local/events", made["size"])
    assert signature.startswith("— wuye.local/events ") and signature.endswith("\n")
    assert (note.parent.parent / "wuye-audit.key").exists()                # the key is beside the database
    assert made["key"] == (note.parent.parent / "wuye-audit.key.pub").read_text().strip()
    checked = w("audit", "verify", "--against", str(note))
    assert checked.code == 0, checked.err
    assert checked.json["ok"] is True and checked.json["checkpoint"]["size"] == made["size"]
    events = _events(db)
    assert events[-1].type == "audit_checkpoint" and events[-1].data["holder"] == "品质部 王审计"
    assert events[-1].seq == made["size"] + 1                                # made after what it covers


def test_a_log_rebuilt_with_new_hashes_passes_the_chain_but_not_the_checkpoint(log):
    db, w, note, made = log
    completed = next(e for e in _events(db) if e.type == "task_completed")
    rebuild_chain_from(db, completed.seq, actor="mallory")
    assert w("audit", "verify").json["ok"] is True                  # the chain alone cannot tell
    checked = w("audit", "verify", "--against", str(note))
    assert checked.code == 1
    assert checked.json["ok"] is False
    assert f"rewritten at or before event {made['size']}" in checked.json["parted"]["reason"]
    assert "不符" in checked.err and "Traceback" not in checked.err


def test_a_log_cut_short_and_its_head_set_back_fails_the_checkpoint_naming_where(log):
    db, w, note, made = log
    keep = made["size"] - 3
    with db.engine.begin() as conn:
        conn.execute(delete(Event).where(Event.seq > keep))
        last = conn.scalar(select(Event.hash).where(Event.seq == keep))
        conn.execute(update(ChainHead).where(ChainHead.id == 1).values(seq=keep, hash=last))
    assert w("audit", "verify").json["ok"] is True
    checked = w("audit", "verify", "--against", str(note))
    assert checked.code == 1
    assert checked.json["parted"]["seq"] == keep + 1
    assert f"ends at event {keep}" in checked.json["parted"]["reason"]


def test_a_checkpoint_edited_or_signed_by_another_key_is_refused_with_the_reason(log, tmp_path, monkeypatch):
    _db, w, note, made = log
    text = note.read_text(encoding="utf-8")
    forged = tmp_path / "forged.txt"
    forged.write_text(text.replace(f"\n{made['size']}\n", f"\n{made['size'] - 2}\n", 1), encoding="utf-8")
    refused = w("audit", "verify", "--against", str(forged))
    assert refused.code == 2 and "签名无效" in refused.err
    monkeypatch.setenv("WUYE_AUDIT_KEY", str(tmp_path / "other.key"))
    other = tmp_path / "other.txt"
    assert w("audit", "checkpoint", "--out", str(other)).code == 0
    monkeypatch.delenv("WUYE_AUDIT_KEY")
    refused = w("audit", "verify", "--against", str(other))             # checked with this database's key
    assert refused.code == 2 and "签名" in refused.err
    accepted = w("audit", "verify", "--against", str(other), "--key", str(tmp_path / "other.key.pub"))
    assert accepted.code == 0, accepted.err                            # the auditor's own key says it is fine
    not_a_note = tmp_path / "junk.txt"
    not_a_note.write_text("hello", encoding="utf-8")
    assert "格式不对" in w("audit", "verify", "--against", str(not_a_note)).err


def test_an_inclusion_proof_from_the_cli_checks_the_event_against_the_root(log):
    _db, w, _note, made = log
    proof = w("audit", "prove", "3", "--size", str(made["size"]))
    assert proof.code == 0, proof.err
    body = proof.json
    assert body["verified"] is True and body["root"] == made["root"]
    assert verify_inclusion(2, made["size"], leaf_hash(body["event_hash"]), [bytes.fromhex(p) for p in body["proof"]],
                            bytes.fromhex(made["root"]))
    assert not verify_inclusion(2, made["size"], leaf_hash("00" * 32), [bytes.fromhex(p) for p in body["proof"]],
                                bytes.fromhex(made["root"]))
    missing = w("audit", "prove", "99999", "--size", str(made["size"]))
    assert missing.code == 4 and "没有第 99999 条事件" in missing.err
    assert w("audit", "prove", "1", "--as", "front_desk").code == 3          # the desk does not audit


def test_stored_nodes_give_the_same_roots_and_proofs_as_hashing_every_event(tmp_path):
    """Past a few blocks of events the tree is read from stored nodes: the roots at every interesting
    size, and the proofs, are those of hashing the whole log."""
    db = initialized_sqlite(tmp_path)
    try:
        with db.engine.begin() as conn:
            start = conn.scalar(select(Event.seq).order_by(Event.seq.desc()).limit(1)) or 0
            rows = [{"seq": s, "instance_id": None, "type": "synthetic", "actor": "t", "at": _at(),
                     "task_id": None, "data": {}, "prev_hash": "0" * 64,
                     "hash": hashlib.sha256(str(s).encode()).hexdigest()}
                    for s in range(start + 1, 3 * BLOCK + 77)]
            conn.execute(insert(Event), rows)
        with db.engine.connect() as conn:
            leaves = [leaf_hash(h) for h in conn.scalars(select(Event.hash).order_by(Event.seq))]
        n = len(leaves)
        sizes = [1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 2 * BLOCK + 5, n]
        with db.uow() as uow:
            tree = MerkleRepository(uow.session)
            before = {size: tree.root(size) for size in sizes}              # nothing stored yet
            assert tree.extend() == 4                                      # 3 blocks and one pair of them
            after = {size: tree.root(size) for size in sizes}
            assert uow.session.scalar(select(MerkleNode.level).where(MerkleNode.level > 8)) == 9
            for size in sizes:
                assert before[size] == after[size] == root_of(leaves[:size]), size
            for index in (0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 3, n - 1):
                proof = tree.inclusion_proof(index, n)
                assert verify_inclusion(index, n, leaves[index], proof, after[n]), index
            assert tree.extend() == 0                                      # nothing new: nothing written
    finally:
        db.dispose()


def _at():
    from datetime import UTC, datetime
    return datetime(2026, 11, 20, tzinfo=UTC)
