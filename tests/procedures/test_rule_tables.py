"""The rule tables as versioned data (issue 9): seeded from processes/ by `wuye init`, deployed as
new versions with every row checked, audited, and read by the engine from the database: the next
move-in is routed, the next complaint guided and the next violation charged by the latest version."""
from __future__ import annotations

import json
import shutil

import pytest

from engine.errors import BadInput, NotPermitted
from engine.step.rule_tables import rule_tables
from engine.usecases.audit import verify_audit
from engine.usecases.init import initialize
from engine.usecases.rule_tables import RuleTableRefused, deploy_rule_table, seed_rule_tables, show_rule_table
from tests.procedures.test_move_in import MoveIn
from tests.support import PROCESSES, act, at, deploy_files

TABLES = ("penalties", "move_in_desks", "case_library")


def seed(db, folder=PROCESSES):
    with db.uow() as uow:
        done = seed_rule_tables(uow, clock=at("2026-11-02T08:00:00+08:00"), folder=folder)
        uow.commit()
    return done


def rows(db, table: str) -> list[tuple[str, dict]]:
    return [(r["key"], r["data"]) for r in act(db, show_rule_table, as_="process_owner", table=table)["rows"]]


@pytest.mark.once
def test_init_seeds_each_table_from_its_file_once_and_keeps_a_browser_edit(sqlite_db, tmp_path):
    folder = tmp_path / "processes"
    folder.mkdir()
    for table in TABLES:
        shutil.copy(PROCESSES / f"{table}.json", folder)
    first = seed(sqlite_db, folder)
    assert [(d["table"], d["version"], d["new"]) for d in first] == [(t, 1, True) for t in TABLES]
    assert seed(sqlite_db, folder) == []                                     # unchanged files: nothing new
    edited = [(k, {**d, "amount": 99}) if k == "C1" else (k, d) for k, d in rows(sqlite_db, "penalties")]
    act(sqlite_db, deploy_rule_table, as_="process_owner", table="penalties", rows=edited, comment="C1 99元")
    assert seed(sqlite_db, folder) == []                                     # the edit stays
    assert dict(rows(sqlite_db, "penalties"))["C1"]["amount"] == 99
    data = json.loads((folder / "penalties.json").read_text(encoding="utf-8"))
    data["C2"]["amount"] = 5
    (folder / "penalties.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [again] = seed(sqlite_db, folder)                                        # the file itself changed
    assert (again["table"], again["version"], again["changed"]) == ("penalties", 3, ["C1", "C2"])
    assert dict(rows(sqlite_db, "penalties"))["C2"]["amount"] == 5


@pytest.mark.once
def test_a_bad_seed_file_is_refused_with_its_row_and_nothing_of_it_is_stored(sqlite_db, tmp_path):
    folder = tmp_path / "processes"
    folder.mkdir()
    data = json.loads((PROCESSES / "penalties.json").read_text(encoding="utf-8"))
    data["C7"]["amount"] = "一百"
    (folder / "penalties.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BadInput, match=r"penalties\.json.*C7.*应为数字"):
        act(sqlite_db, initialize, as_=None, processes_dir=folder)
    assert act(sqlite_db, show_rule_table, as_="process_owner", table="penalties")["latest"] == 0


@pytest.mark.once
def test_every_problem_is_named_with_its_row_and_field(sqlite_db):
    seed(sqlite_db)
    table = rows(sqlite_db, "penalties")
    table[0] = ("C1", {**table[0][1], "amount": -5})
    table[1] = ("1bad", {**table[1][1], "description": ""})
    table[2] = (table[2][0], {**table[2][1], "also": [{"payer": "", "amount": 3}]})
    with pytest.raises(RuleTableRefused) as refused:
        act(sqlite_db, deploy_rule_table, as_="process_owner", table="penalties", rows=table)
    found = {(p.row, p.field) for p in refused.value.problems}
    assert found == {(0, "amount"), (1, "key"), (1, "description"), (2, "also")}
    assert "4 处错误，未部署；第 1 行（C1）：应在 0 到 100000 之间" in refused.value.message
    assert act(sqlite_db, show_rule_table, as_="process_owner", table="penalties")["latest"] == 1


@pytest.mark.once
def test_a_penalty_row_a_deployed_deadline_names_cannot_be_removed(sqlite_db):
    seed(sqlite_db)
    deploy_files(sqlite_db, PROCESSES / "move_in.bpmn")
    used = {el["properties"]["deadline"] for el in _elements(sqlite_db, "move_in") if el.get("properties", {})
            .get("deadline")}
    assert used
    deadline = sorted(used)[0]
    table = [(k, d) for k, d in rows(sqlite_db, "penalties") if k != deadline]
    with pytest.raises(RuleTableRefused, match=f"使用时限 {deadline}，不能删除这一行"):
        act(sqlite_db, deploy_rule_table, as_="process_owner", table="penalties", rows=table)


def _elements(db, process_id):
    with db.uow(readonly=True) as uow:
        return list(uow.definitions.latest("bpmn", process_id).meta["elements"].values())


@pytest.mark.once
def test_only_process_owners_and_administrators_deploy_a_table(sqlite_db):
    seed(sqlite_db)
    with pytest.raises(NotPermitted):
        act(sqlite_db, deploy_rule_table, as_="dispatcher", table="penalties", rows=rows(sqlite_db, "penalties"))
    with pytest.raises(NotPermitted):
        act(sqlite_db, show_rule_table, as_="front_desk", table="penalties")


@pytest.mark.once
def test_each_deploy_is_an_audit_event_with_the_hash_and_the_actor(sqlite_db):
    seed(sqlite_db)
    edited = [(k, {**d, "name": "西区组"}) if k == "desk_1" else (k, d) for k, d in rows(sqlite_db, "move_in_desks")]
    done = act(sqlite_db, deploy_rule_table, as_="admin", table="move_in_desks", rows=edited, comment="改名")
    with sqlite_db.uow(readonly=True) as uow:
        events = [e for e in uow.events.all() if e.type == "rules_deployed"]
    assert [(e.actor, e.data["table"], e.data["version"]) for e in events][-1] == ("admin", "move_in_desks", 2)
    assert events[-1].data["hash"] == done["hash"] and events[-1].data["changed"] == ["desk_1"]
    assert events[-1].data["comment"] == "改名"
    assert act(sqlite_db, verify_audit, as_="quality")["ok"]


def test_an_edited_desk_table_routes_the_next_move_in_and_the_earlier_one_keeps_its_desk(sqlite_db):
    seed(sqlite_db)
    move_in = MoveIn(sqlite_db)
    first = move_in.start(building=8)
    assert move_in.show(first)["data"]["desk_group"] == "desk_2"
    table = rows(sqlite_db, "move_in_desks")
    table = [(k, {**d, "buildings": ["7", "9-12"]}) if k == "desk_2" else
             (k, {**d, "buildings": [*d["buildings"], 8]}) if k == "desk_3" else (k, d) for k, d in table]
    act(sqlite_db, deploy_rule_table, as_="process_owner", table="move_in_desks", rows=table, comment="8号楼归三组")
    second = move_in.start(building=8)
    assert move_in.show(second)["data"]["desk_group"] == "desk_3"
    assert move_in.show(second)["data"]["desk_name"] == dict(table)["desk_3"]["name"]
    assert move_in.show(first)["data"]["desk_group"] == "desk_2"


@pytest.mark.once
def test_the_case_library_the_engine_reads_is_the_latest_deployed(sqlite_db):
    seed(sqlite_db)
    table = rows(sqlite_db, "case_library")
    key = table[0][0]
    table[0] = (key, {**table[0][1], "guide": ["先致电业主致歉"]})
    act(sqlite_db, deploy_rule_table, as_="process_owner", table="case_library", rows=table)
    with sqlite_db.uow(readonly=True) as uow:
        assert rule_tables(uow).case_library()[key]["guide"] == ["先致电业主致歉"]
        assert rule_tables(uow).version("case_library") == 2
