"""The rule tables in the browser's pages and the JSON API: penalties, move-in desks and the case
library as versioned rows a process owner edits, each problem shown beside its row, deployed as a
new version that the engine uses from then on (issue 9)."""
from __future__ import annotations

import json

import lxml.html
import pytest

from engine.usecases.deploy import deploy
from engine.usecases.instances import show_instance
from engine.usecases.rule_tables import seed_rule_tables
from engine.usecases.runner import handle
from engine.usecases.timers import fire_due_timers
from tests.support import BPMN_DIR, PROCESSES
from tests.web.conftest import csrf_token

# visit_request whose repair deadline is C5 of the penalty table (no `penalty` of its own)
CHARGED_BY_TABLE = (BPMN_DIR / "leave_request.bpmn").read_text(encoding="utf-8").replace(
    '<camunda:property name="deadline" value="T1"/>\n          <camunda:property name="penalty" value="30"/>',
    '<camunda:property name="deadline" value="C5"/>')
FILE_C5 = json.loads((PROCESSES / "penalties.json").read_text(encoding="utf-8"))["C5"]["amount"]


@pytest.fixture
def seeded(web_db, clock):
    """The rule tables deployed from processes/ (what `wuye init` does), and the C5 variant of visit_request."""
    assert 'value="C5"' in CHARGED_BY_TABLE and 'name="penalty"' not in CHARGED_BY_TABLE.split("repair_late")[1][:400]
    with web_db.uow() as uow:
        seed_rule_tables(uow, clock=clock, folder=PROCESSES)
        uow.commit()
    handle(web_db, deploy, actor="process_owner", clock=clock,
           files=[("leave_request.bpmn", CHARGED_BY_TABLE.encode())])
    return web_db


def form_fields(html: str) -> dict[str, str]:
    """What the browser would post: every named input and textarea of the rules form, as shown."""
    form = lxml.html.fromstring(html).get_element_by_id("rule-rows").getparent()
    assert form is not None
    out = {}
    for el in form.iter("input", "textarea"):
        name = el.get("name")
        if not name or el.get("disabled") is not None or "__N__" in name:
            continue
        if el.tag == "input" and el.get("type") == "checkbox":
            continue
        out[name] = el.text or "" if el.tag == "textarea" else el.get("value", "")
    return out


def row_of(fields: dict[str, str], key: str) -> int:
    return next(int(n.split("-")[1]) for n, v in fields.items() if n.endswith("-key") and v == key)


def late_violation(steps, web_db) -> tuple[int, float]:
    """Start a visit, let its repair deadline pass, fire the timers: (instance, amount charged)."""
    instance, _ = steps.to_repair()
    steps.later(days=3)
    handle(web_db, fire_due_timers, actor=None, clock=steps.clock)
    shown = handle(web_db, show_instance, actor="quality", clock=steps.clock, instance_id=instance)
    [violation] = shown["violations"]
    assert violation["deadline"] == "C5"
    return instance, violation["amount"]


def test_a_penalty_amount_edited_in_the_browser_is_what_the_next_violation_charges(client, auth, seeded, steps):
    before, charged_before = late_violation(steps, seeded)
    assert charged_before == FILE_C5
    auth.login_as("process_owner")
    page = client.get("/modeler/rules/penalties")
    assert page.status_code == 200 and "当前生效：第 1 版" in page.get_data(as_text=True)
    fields = form_fields(page.get_data(as_text=True))
    i = row_of(fields, "C5")
    assert fields[f"rows-{i}-amount"] == str(FILE_C5)
    new_amount = FILE_C5 + 30
    fields[f"rows-{i}-amount"] = str(new_amount)
    resp = client.post("/modeler/rules/penalties", data={**fields, "comment": "C5 调整扣罚金额"})
    assert resp.status_code == 302
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已部署为第 2 版" in shown and "C5 调整扣罚金额" in shown and "当前生效：第 2 版" in shown
    _, charged_after = late_violation(steps, seeded)
    assert charged_after == new_amount
    old = handle(seeded, show_instance, actor="quality", clock=steps.clock, instance_id=before)
    assert [v["amount"] for v in old["violations"]] == [FILE_C5]          # what it was charged stays


def test_every_bad_row_is_named_beside_itself_and_what_was_typed_stays(client, auth, seeded):
    auth.login_as("process_owner")
    fields = form_fields(client.get("/modeler/rules/penalties").get_data(as_text=True))
    c5, c6 = row_of(fields, "C5"), row_of(fields, "C6")
    fields[f"rows-{c5}-amount"] = "五十"
    fields[f"rows-{c6}-key"] = "C5"
    fields[f"rows-{c6}-description"] = ""
    resp = client.post("/modeler/rules/penalties", data={**fields, "comment": "试一下"})
    assert resp.status_code == 422
    page = lxml.html.fromstring(resp.get_data(as_text=True))
    assert "3 处错误，未部署" in page.get_element_by_id("main").text_content()
    amount = page.cssselect(f'[data-testid="cell-{c5}-amount"]')[0]
    assert amount.cssselect("input")[0].get("value") == "五十"                  # as typed
    assert "应为数字" in amount.cssselect(".field-error")[0].text_content()
    assert "重复" in page.cssselect(f'[data-testid="error-{c6}-key"]')[0].text_content()
    assert "必填" in page.cssselect(f'[data-testid="error-{c6}-description"]')[0].text_content()
    assert page.cssselect("#comment")[0].get("value") == "试一下"
    listed = client.get("/api/rules/penalties").get_json()
    assert listed["latest"] == 1 and listed["versions"][0]["version"] == 1      # nothing deployed


def test_a_desk_table_edit_refuses_a_building_two_desks_serve(client, auth, seeded):
    auth.login_as("process_owner")
    fields = form_fields(client.get("/modeler/rules/move_in_desks").get_data(as_text=True))
    second = row_of(fields, "desk_2")
    fields[f"rows-{second}-buildings"] = "6-12"
    resp = client.post("/modeler/rules/move_in_desks", data=fields)
    assert resp.status_code == 422
    error = lxml.html.fromstring(resp.get_data(as_text=True)).cssselect(f'[data-testid="error-{second}-buildings"]')
    assert "6号楼已属于第 1 行的 desk_1" in error[0].text_content()


def test_a_new_row_and_a_deleted_row_make_one_new_version_with_the_rest_unchanged(client, auth, seeded):
    auth.login_as("process_owner")
    html = client.get("/modeler/rules/case_library").get_data(as_text=True)
    fields = form_fields(html)
    rows = {int(n.split("-")[1]) for n in fields if n.startswith("rows-")}
    blank = max(rows)
    assert fields[f"rows-{blank}-key"] == ""                  # the form always ends in a blank row
    fields.update({f"rows-{blank}-key": "pet_noise", f"rows-{blank}-name": "宠物扰民",
                   f"rows-{blank}-guide": "上门沟通\n\n提醒文明养宠"})
    gone = row_of(fields, "parking_occupied")
    fields[f"rows-{gone}-delete"] = "1"
    assert client.post("/modeler/rules/case_library", data={**fields, "comment": "新增宠物扰民"}).status_code == 302
    shown = client.get("/api/rules/case_library").get_json()
    keys = [r["key"] for r in shown["rows"]]
    assert "pet_noise" in keys and "parking_occupied" not in keys and shown["version"] == 2
    assert next(r for r in shown["rows"] if r["key"] == "pet_noise")["data"] == {"name": "宠物扰民",
                                                                                 "guide": ["上门沟通", "提醒文明养宠"]}
    seed = json.loads((PROCESSES / "case_library.json").read_text(encoding="utf-8"))
    first = next(r for r in shown["rows"] if r["key"] == "noise") if "noise" in seed else shown["rows"][0]
    assert first["data"] == seed[first["key"]]              # untouched rows keep every field of the file


def test_an_older_version_opens_read_only(client, auth, seeded):
    auth.login_as("process_owner")
    fields = form_fields(client.get("/modeler/rules/penalties").get_data(as_text=True))
    fields[f"rows-{row_of(fields, 'C1')}-amount"] = "35"
    client.post("/modeler/rules/penalties", data=fields)
    html = client.get("/modeler/rules/penalties?version=1").get_data(as_text=True)
    assert "这是第 1 版（只读）" in html and 'data-testid="deploy"' not in html
    assert client.get("/modeler/rules/penalties?version=9").status_code == 404


@pytest.mark.parametrize("path", ["/modeler/rules/", "/modeler/rules/penalties", "/api/rules", "/api/rules/penalties"])
def test_the_rule_tables_are_for_process_owners_and_administrators_only(client, auth, seeded, path):
    auth.login_as("dispatcher")
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login_as("admin")
    assert client.get(path).status_code == 200


def test_a_post_by_someone_else_changes_nothing(client, auth, seeded):
    auth.login_as("dispatcher")
    fields = {"rows-0-key": "C1", "rows-0-amount": "1", "rows-0-description": "x"}
    token = csrf_token(client, "/inbox")
    assert client.post("/modeler/rules/penalties", data={**fields, "csrf_token": token}).status_code == 403
    auth.logout()
    auth.login_as("process_owner")
    assert client.get("/api/rules/penalties").get_json()["latest"] == 1


def test_the_api_deploys_rows_and_answers_a_refusal_with_each_row_problem(client, auth, seeded):
    auth.login_as("process_owner")
    headers = {"X-CSRFToken": csrf_token(client, "/modeler/")}
    current = client.get("/api/rules/move_in_desks").get_json()
    rows = [{"key": r["key"], "data": r["data"]} for r in current["rows"]]
    rows[0]["data"] = {**rows[0]["data"], "buildings": ["1-5", "x"]}
    refused = client.post("/api/rules/move_in_desks", json={"rows": rows}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["problems"][0]["row"] == 0 and refused.get_json()["problems"][0]["field"] == "buildings"
    rows[0]["data"]["buildings"] = ["1-5"]
    rows.append({"key": "desk_4", "data": {"name": "第四组（6号楼）", "buildings": [6]}})
    done = client.post("/api/rules/move_in_desks", json={"rows": rows, "comment": "6号楼单独成组", "base_version": 1},
                       headers=headers)
    assert done.status_code == 201 and done.get_json()["version"] == 2
    stale = client.post("/api/rules/move_in_desks", json={"rows": rows[:3], "base_version": 1}, headers=headers)
    assert stale.status_code == 409
    same = client.post("/api/rules/move_in_desks", json={"rows": rows}, headers=headers)
    assert same.status_code == 200 and same.get_json()["new"] is False


@pytest.mark.parametrize("table", ["penalties", "move_in_desks", "case_library"])
def test_a_form_posted_back_unchanged_makes_no_new_version(client, auth, seeded, table):
    auth.login_as("process_owner")
    fields = form_fields(client.get(f"/modeler/rules/{table}").get_data(as_text=True))
    resp = client.post(f"/modeler/rules/{table}", data=fields, follow_redirects=True)
    assert "内容没有变化，未生成新版本" in resp.get_data(as_text=True)
    assert client.get(f"/api/rules/{table}").get_json()["latest"] == 1
