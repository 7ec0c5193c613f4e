"""The instance's data while branches run side by side: a value one branch set stays in what the
pages show (the case card, the instance page) when another branch finishes after it."""
from __future__ import annotations

from tests.support import BPMN_DIR


def test_a_branch_finishing_last_does_not_hide_what_the_other_branch_set(wuye):
    assert wuye("deploy", str(BPMN_DIR / "parallel_data.bpmn")).code == 0
    started = wuye("start", "two_branches", "--as", "front_desk", now="2026-11-20T09:00:00+08:00").json
    tasks = {t["name"]: t["id"] for t in started["ready"]}
    done = wuye("complete", tasks["classify"], "--as", "front_desk", "--data", '{"category": "漏水"}',
                now="2026-11-20T09:05:00+08:00")
    assert done.code == 0, done.err
    audited = wuye("complete", tasks["audit"], "--as", "front_desk", "--data", '{"audit_note": "记录完整"}',
                   now="2026-11-20T09:10:00+08:00")
    assert audited.code == 0, audited.err
    shown = wuye("show", str(started["instance"]), "--as", "front_desk").json
    assert shown["data"]["category"] == "漏水" and shown["data"]["audit_note"] == "记录完整"
    assert [t["name"] for t in shown["ready"]] == ["accept"]
