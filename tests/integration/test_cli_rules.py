"""`wuye rules list|show|deploy` (issue 9): the rule tables from the command line, through the same
use cases as the browser and /api/rules; show → edit → deploy with no conversion; a refused file is
exit 2 with every row and column named, and nothing is stored."""
from __future__ import annotations

import json

from tests.integration.test_cli import one_line
from tests.support import ROOT, Wuye


def test_a_process_owner_lists_shows_edits_and_deploys_a_rule_table(sqlite_db, tmp_path):
    w = Wuye(sqlite_db.url)
    listed = w("rules", "list", "--as", "process_owner")
    assert listed.code == 0 and {t["table"] for t in listed.json["tables"]} == {
        "penalties", "move_in_desks", "case_library"}
    shown = w("rules", "show", "penalties", "--as", "process_owner").json
    assert shown["version"] == 0 and any(r["key"] == "C5" for r in shown["rows"])     # the seed file's rows
    for row in shown["rows"]:
        if row["key"] == "C5":
            row["data"]["amount"] = 250
    edited = tmp_path / "penalties.json"
    edited.write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")
    done = w("rules", "deploy", "penalties", str(edited), "--comment", "C5 涨到 250 元", "--as", "process_owner")
    assert done.code == 0 and done.json["version"] == 1 and done.json["new"] is True, done.err
    v1 = w("rules", "show", "penalties", "--version", "1", "--as", "process_owner").json
    assert v1["versions"][0]["comment"] == "C5 涨到 250 元" and v1["versions"][0]["deployed_by"] == "process_owner"
    assert next(r for r in v1["rows"] if r["key"] == "C5")["data"]["amount"] == 250
    seed = w("rules", "deploy", "penalties", str(ROOT / "processes" / "penalties.json"), "--comment", "还原",
             "--as", "process_owner")                       # the seed file's own shape deploys too
    assert seed.code == 0 and seed.json["version"] == 2


def test_a_refused_file_names_every_row_and_column_and_stores_nothing(sqlite_db, tmp_path):
    w = Wuye(sqlite_db.url)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"C1": {"amount": "三十", "description": "未调度"}, "C2": {"amount": 10}}),
                   encoding="utf-8")
    refused = w("rules", "deploy", "penalties", str(bad), "--comment", "试试", "--as", "process_owner")
    line = one_line(refused.err)
    assert refused.code == 2 and "第 1 行 (C1) amount" in line and "第 2 行 (C2) description" in line, line
    assert {(p["key"], p["field"]) for p in refused.json["problems"]} >= {("C1", "amount"), ("C2", "description")}
    assert w("rules", "show", "penalties", "--as", "process_owner").json["version"] == 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"C1": {\n  "amount": 30,\n}', encoding="utf-8")
    r = w("rules", "deploy", "penalties", str(broken), "--comment", "x", "--as", "process_owner")
    assert r.code == 2 and "line 3" in one_line(r.err)
    assert w("rules", "show", "parking", "--as", "process_owner").code == 4
    assert w("rules", "show", "penalties", "--version", "7", "--as", "process_owner").code == 4
    assert w("rules", "deploy", "penalties", str(bad), "--comment", "x", "--as", "front_desk").code == 3
    assert w("rules", "list").code == 2                     # --as is required: the audit names a person
