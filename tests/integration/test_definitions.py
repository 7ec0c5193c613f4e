"""Process owners' versions, diff and migration, through the use cases and the `wuye` CLI: every
version with who/when/why, its hash and running count; a refused deploy as element-level problems
that stores nothing; the diff of a changed timer and an added form field; a waiting instance moved
to the new version, and the moves SpiffWorkflow cannot carry refused with their reason."""
from __future__ import annotations

import pytest

from engine.errors import NotPermitted
from engine.usecases.definitions import (
    DeployRefused,
    definition_source,
    deploy_definition,
    list_definitions,
    version_diff,
)
from engine.usecases.instances import history, show_instance
from engine.usecases.migrate import MigrationRefused, migrate_instance, migrate_version, migration_check
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task, list_tasks
from storage.models import Definition, Event
from tests.support import BPMN_DIR, Wuye, act, initialized_sqlite

T0 = "2026-11-20T09:00:00+08:00"
V1 = (BPMN_DIR / "leave_request.bpmn").read_text()
NEW_FIELD = ('<camunda:formField id="finished_on" label="完成日期" type="date"/>\n'
             '          <camunda:formField id="parts" label="更换配件" type="string"/>')
V2 = (V1.replace("add_working_hours(received_at, 2)", "add_working_hours(received_at, 4)")
      .replace('<camunda:formField id="finished_on" label="完成日期" type="date"/>', NEW_FIELD))
# repair is gone: the engineer's task is 上门检查 now, under another id
V3 = V1.replace('id="repair"', 'id="inspect"').replace('attachedToRef="repair"', 'attachedToRef="inspect"') \
       .replace('targetRef="repair"', 'targetRef="inspect"').replace('sourceRef="repair"', 'sourceRef="inspect"') \
       .replace("<bpmn:flowNodeRef>repair</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>inspect</bpmn:flowNodeRef>")


@pytest.fixture
def db(tmp_path):
    database = initialized_sqlite(tmp_path)
    act(database, deploy_definition, as_="process_owner", at=T0, files=[("leave_request.bpmn", V1.encode())],
        comment="首版")
    yield database
    database.dispose()


def deploy_v2(db, text=V2, comment="工程时限改为 4 工作小时，加配件字段"):
    return act(db, deploy_definition, as_="process_owner", at=T0, files=[("leave_request.bpmn", text.encode())],
               comment=comment)


def waiting_at_repair(db) -> int:
    started = act(db, start_instance, as_="front_desk", at=T0, process_id="visit_request", data={"room": "3-2-1102"})
    act(db, complete_task, as_="front_desk", at=T0, task_id=started["ready"][0]["id"], data={"content": "厨房水管漏水"})
    return started["instance"]


def test_versions_say_who_when_why_their_hash_and_how_many_instances_run_on_each(db):
    waiting_at_repair(db)
    deploy_v2(db)
    (visit,) = act(db, list_definitions, as_="process_owner")["definitions"]
    v1, v2 = visit["versions"]
    assert (visit["id"], visit["latest"]) == ("visit_request", 2)
    assert (v1["comment"], v1["deployed_by"], v1["running"]) == ("首版", "process_owner", 1)
    assert (v2["comment"], v2["running"], len(v2["hash"])) == ("工程时限改为 4 工作小时，加配件字段", 0, 64)
    assert v1["deployed_at"] == T0
    src = act(db, definition_source, as_="admin", process_id="visit_request", version=1)
    assert src["xml"] == V1 and src["hash"] == v1["hash"]


def test_every_deploy_is_an_audit_event_with_the_hash_the_comment_and_the_actor(db):
    deploy_v2(db)
    with db.uow(readonly=True) as uow:
        events = [e for e in uow.session.query(Event).order_by(Event.seq) if e.type == "deployed"]
        v2 = uow.definitions.version("bpmn", "visit_request", 2)
        assert (events[-1].actor, events[-1].data["hash"], events[-1].data["comment"]) == \
            ("process_owner", v2.content_hash, "工程时限改为 4 工作小时，加配件字段")


@pytest.mark.parametrize(("use_case", "args"), [
    (list_definitions, {}), (definition_source, {"process_id": "visit_request"}),
    (version_diff, {"process_id": "visit_request", "from_version": 1, "to_version": 1}),
    (deploy_definition, {"files": [("leave_request.bpmn", V2.encode())]}),
    (migration_check, {"instance_id": 1, "to_version": 1})])
def test_only_process_owners_and_administrators_see_and_change_definitions(db, use_case, args):
    for user in ("dispatcher", "cs_manager", "quality", "front_desk"):
        with pytest.raises(NotPermitted, match="流程负责人"):
            act(db, use_case, as_=user, **args)


def test_a_refused_deploy_lists_each_problem_by_element_and_line_and_stores_nothing(db):
    bad = V2.replace('<bpmn:lane id="cs_supervisor" name="客服主管">', '<bpmn:lane id="night_shift" name="夜班">') \
            .replace('targetRef="end_escalated"/>', 'targetRef="nowhere"/>')
    with pytest.raises(DeployRefused) as refused:
        deploy_v2(db, bad)
    problems = refused.value.problems
    assert {p["element"] for p in problems} >= {"night_shift"}
    assert all(p["file"] == "leave_request.bpmn" and isinstance(p["line"], int) and p["message"] for p in problems)
    lane = next(p for p in problems if p["element"] == "night_shift")
    assert bad.splitlines()[(lane["line"] or 0) - 1].strip().startswith('<bpmn:lane id="night_shift"')
    with db.uow(readonly=True) as uow:
        assert [d.version for d in uow.session.query(Definition)] == [1]


def test_the_diff_names_the_changed_timer_and_the_added_form_field(db):
    deploy_v2(db)
    diff = act(db, version_diff, as_="process_owner", process_id="visit_request", from_version=1, to_version=2)
    (timer,) = [c for c in diff["changed"] if c["id"] == "repair_late"]
    assert timer["properties"] == [{"property": "timerEventDefinition[td1]/timeDate",
                                    "from": "add_working_hours(received_at, 2)",
                                    "to": "add_working_hours(received_at, 4)"}]
    assert {"element": "repair", "field": "parts", "change": "added", "label": "更换配件", "properties": []} \
        in diff["form_fields"]
    assert diff["added"] == [] and diff["removed"] == []


def test_the_diff_of_a_renamed_task_is_one_removed_one_added(db):
    deploy_v2(db, V3)
    diff = act(db, version_diff, as_="process_owner", process_id="visit_request", from_version=1, to_version=2)
    assert [a["id"] for a in diff["added"]] == ["inspect"] and [r["id"] for r in diff["removed"]] == ["repair"]


def test_a_waiting_instance_moves_to_the_new_version_and_its_form_gains_the_field(db):
    instance = waiting_at_repair(db)
    deploy_v2(db)
    check = act(db, migration_check, as_="process_owner", instance_id=instance, to_version=2)
    assert check["can_migrate"] and check["reasons"] == []
    assert [a["id"] for a in check["active"]] == ["repair", "repair_late"]
    assert [(c["element"], c["field"], c["change"]) for c in check["form_changes"]] == [("repair", "parts", "added")]
    moved = act(db, migrate_instance, as_="process_owner", instance_id=instance, to_version=2)
    assert moved["migrated"] and (moved["from"], moved["to"]) == (1, 2)
    assert act(db, show_instance, as_="process_owner", instance_id=instance)["version"] == 2
    (task,) = act(db, list_tasks, as_="engineering", instance_id=instance)
    assert [f["id"] for f in task["form"]] == ["hours", "finished_on", "parts"]
    done = act(db, complete_task, as_="engineering", task_id=task["id"], data={"hours": 2, "parts": "阀门"})
    assert done["status"] == "completed", done
    event = [e for e in act(db, history, as_="process_owner", instance_id=instance) if e["type"] == "migrated"]
    assert event[0]["actor"] == "process_owner" and event[0]["data"]["from"] == 1 and event[0]["data"]["to"] == 2
    assert len(event[0]["data"]["to_hash"]) == 64


def test_an_instance_started_before_stays_on_its_version_until_it_is_moved(db):
    before = waiting_at_repair(db)
    deploy_v2(db)
    after = waiting_at_repair(db)
    versions = {i: act(db, show_instance, as_="process_owner", instance_id=i)["version"] for i in (before, after)}
    assert versions == {before: 1, after: 2}


def test_a_move_spiffworkflow_cannot_carry_is_refused_with_its_reason_and_nothing_changes(db):
    instance = waiting_at_repair(db)
    deploy_v2(db, V3)
    check = act(db, migration_check, as_="process_owner", instance_id=instance, to_version=2)
    assert not check["can_migrate"]
    assert any("repair" in r and "不存在" in r for r in check["reasons"])
    with pytest.raises(MigrationRefused) as refused:
        act(db, migrate_instance, as_="process_owner", instance_id=instance, to_version=2)
    assert refused.value.reasons == check["reasons"]
    assert act(db, show_instance, as_="process_owner", instance_id=instance)["version"] == 1


def test_a_finished_instance_or_the_same_version_is_refused(db):
    instance = waiting_at_repair(db)
    with pytest.raises(MigrationRefused, match="已在第 1 版上"):
        act(db, migrate_instance, as_="process_owner", instance_id=instance, to_version=1)


def test_a_batch_moves_what_can_be_moved_and_lists_the_rest(db):
    first, second = waiting_at_repair(db), waiting_at_repair(db)
    deploy_v2(db)
    out = act(db, migrate_version, as_="admin", process_id="visit_request", from_version=1, to_version=2)
    assert out["migrated"] == [first, second] and out["refused"] == []


def test_the_cli_lists_versions_diffs_and_migrates(db, tmp_path):
    instance = waiting_at_repair(db)
    deploy_v2(db)
    wuye = Wuye(db.url)
    versions = wuye("versions", "visit_request", "--as", "process_owner")
    assert versions.code == 0 and [v["version"] for v in versions.json["versions"]] == [1, 2]
    diff = wuye("diff", "visit_request", "1", "2", "--as", "process_owner")
    assert diff.code == 0 and {c["id"] for c in diff.json["changed"]} == {"repair", "repair_late"}
    refused = wuye("migrate", str(instance), "--to", "2", "--as", "dispatcher")
    assert refused.code == 3 and "流程负责人" in refused.err
    missing = wuye("migrate", str(instance), "--to", "9", "--as", "process_owner")
    assert missing.code == 4
    moved = wuye("migrate", str(instance), "--to", "2", "--as", "process_owner")
    assert moved.code == 0 and moved.json["to"] == 2
    again = wuye("migrate", str(instance), "--to", "2", "--as", "process_owner")
    assert again.code == 5 and "已在第 2 版上" in again.err
