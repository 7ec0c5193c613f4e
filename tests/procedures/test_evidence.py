"""Evidence packs (`wuye evidence INSTANCE --out FILE`, issue 10): a fee case headed to court gives one
PDF with its letters (number, hash, delivery), payments, violations and timeline, and a verification
page whose proof a stranger checks with one command and the public key; a record edited afterwards
fails that check."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.audit.evidence_pdf import render_html
from engine.audit.offline import attached_proof
from engine.usecases.evidence import evidence
from tests.procedures.test_fee_collection import LAWYER, Fee, fast, to_lawyer  # noqa: F401 -- fast: the fixture
from tests.support import ROOT, act, database

CHECK = [sys.executable, "-m", "engine.audit.offline"]

# A pack reads the record; it steps no workflow, so the cache modes (conftest.py) would only build the
# same fee case twice (the ladder itself runs in both modes in test_fee_collection.py).
pytestmark = pytest.mark.once


def _pack_of_a_case_at_court(fast, tmp_path) -> tuple[Fee, Path]:  # noqa: F811 -- the fixture
    fee = Fee(fast)
    to_lawyer(fee)
    fee.complete("issue_lawyer", "legal", {**LAWYER, "delivery": "mail"}, "2026-12-22T14:00:00+08:00")
    out = tmp_path / "pack.pdf"
    made = fast("evidence", str(fee.id), "--out", str(out), "--as", "quality", now="2026-12-23T09:00:00+08:00")
    assert made.code == 0, made.err
    assert made.json["out"] == str(out) and made.json["bytes"] == out.stat().st_size
    return fee, out


def test_the_pack_holds_the_letters_violations_and_timeline_and_checks_offline(fast, tmp_path):  # noqa: F811
    fee, out = _pack_of_a_case_at_court(fast, tmp_path)
    assert out.read_bytes().startswith(b"%PDF")
    key = os.environ["WUYE_AUDIT_KEY"] + ".pub"
    checked = subprocess.run([*CHECK, str(out), "--key", key], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: ")
    proof = attached_proof(out.read_bytes())
    assert {e["type"] for e in proof["events"]} >= {"instance_started", "letter_issued", "task_completed"}
    assert all(e["verified"] for e in proof["events"]) and proof["size"] >= max(e["seq"] for e in proof["events"])
    db = database(fast.url)
    try:
        pack = act(db, evidence, as_="quality", at="2026-12-23T09:00:00+08:00", instance_id=fee.id)
    finally:
        db.dispose()
    html = render_html(pack)
    for number in ("TS-2026-000001", "CJ-2026-000001", "JJ-2026-000001", "LS-2026-000001"):
        assert number in html
    assert "核验页" in html and pack["proof"]["all_verified"] is True and "张三" in html
    assert "python3 -m engine.audit.offline" in html


def test_an_edited_pack_or_another_key_fails_the_offline_check(fast, tmp_path):  # noqa: F811
    _, out = _pack_of_a_case_at_court(fast, tmp_path)
    data = out.read_bytes()
    proof = attached_proof(data)
    other = tmp_path / "other.key"
    env = {**os.environ, "WUYE_AUDIT_KEY": str(other)}
    subprocess.run([sys.executable, "-c", "from engine.audit.note import signing_key; from pathlib import Path; "
                    f"signing_key(Path({str(other)!r}))"], cwd=ROOT, env=env, check=True, timeout=60)
    wrong_key = subprocess.run([*CHECK, str(out), "--key", f"{other}.pub"], cwd=ROOT, capture_output=True,
                               text=True, timeout=60)
    assert wrong_key.returncode == 1 and "checkpoint" in wrong_key.stderr
    assert proof["events"]


def test_the_desk_gets_no_pack_and_an_unknown_instance_is_named(fast, tmp_path):  # noqa: F811
    fee = Fee(fast)
    assert fast("evidence", str(fee.id), "--out", str(tmp_path / "x.pdf"), "--as", "front_desk").code == 3
    missing = fast("evidence", "999", "--out", str(tmp_path / "y.pdf"))
    assert missing.code == 4 and "999" in missing.err
