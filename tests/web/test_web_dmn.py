"""The decision table editor's server side (issue 9): the page for a deployed DMN version, the check
of every cell in the sandbox (each problem with the cell's element id) and the trial of a table on
sample data, as a business rule task runs it; only for process owners and administrators."""
from __future__ import annotations

import pytest

from engine.usecases.definitions import deploy_definition
from tests.support import PROCESSES
from tests.web.conftest import csrf_token

DMN = (PROCESSES / "repair_warranty.dmn").read_text(encoding="utf-8")
KEY = "repair_warranty_definitions"
REPORT = {"category": "decoration", "delivered_on": "2025-03-01", "reported_at": "2026-11-20T09:00:00+08:00"}


@pytest.fixture
def owner(client, auth, steps):
    steps.call(deploy_definition, "process_owner", files=[("repair_warranty.dmn", DMN.encode())])
    auth.login_as("process_owner")
    return client


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token(client, "/modeler/")})


def test_the_editor_page_opens_the_version_from_our_own_files(owner):
    html = owner.get(f"/modeler/dmn/{KEY}/1").get_data(as_text=True)
    assert f'data-source-url="/api/definitions/{KEY}/1"' in html and "vendor/dmn/dmn.js" in html
    assert 'data-file="repair_warranty.dmn"' in html
    assert owner.get(f"/modeler/dmn/{KEY}/7").status_code == 422
    assert owner.get("/modeler/dmn/visit_request/1").status_code == 422          # a BPMN process is no table


def test_the_check_names_the_cell_the_sandbox_refuses(owner):
    ok = post(owner, "/modeler/dmn/check", {"xml": DMN, "file": "repair_warranty.dmn"}).get_json()
    assert ok["ok"] and ok["decisions"][0]["variables"] == ["category", "reported_at", "delivered_on"]
    bad = DMN.replace("&lt;= add_years(delivered_on, 2)</text></inputEntry>\n        <outputEntry id=\"rule_decoration",
                      "&lt;= open('/etc/passwd')</text></inputEntry>\n        <outputEntry id=\"rule_decoration")
    assert bad != DMN
    refused = post(owner, "/modeler/dmn/check", {"xml": bad, "file": "repair_warranty.dmn"}).get_json()
    assert refused["ok"] is False
    [problem] = refused["problems"]
    assert problem["element"] == "rule_decoration_day" and "open" in problem["message"] and problem["line"]


def test_a_trial_says_which_rule_decides_and_what(owner):
    tried = post(owner, "/modeler/dmn/try", {"xml": DMN, "data": REPORT}).get_json()
    assert tried["result"] == {"route": "developer"}
    assert tried["matched"][0]["rule"] == "rule_decoration" and tried["error"] is None
    late = post(owner, "/modeler/dmn/try", {"xml": DMN, "data": {**REPORT, "reported_at": "2027-03-02"}}).get_json()
    assert late["result"] == {"route": "engineering"} and late["matched"][0]["rule"] == "rule_out_of_warranty"
    missing = post(owner, "/modeler/dmn/try", {"xml": DMN, "data": {"category": "decoration"}}).get_json()
    assert missing["ok"] and missing["result"] == {} and "reported_at" in missing["error"]
    unknown = post(owner, "/modeler/dmn/try", {"xml": DMN, "decision": "nope", "data": REPORT}).get_json()
    assert unknown["ok"] is False and "没有决策 nope" in unknown["error"]


def test_a_trial_of_a_table_with_a_refused_cell_runs_nothing(owner):
    bad = DMN.replace('<outputEntry id="rule_decoration_route"><text>"developer"</text>',
                      '<outputEntry id="rule_decoration_route"><text>__import__("os").system("id")</text>')
    refused = post(owner, "/modeler/dmn/try", {"xml": bad, "data": REPORT}).get_json()
    assert refused["ok"] is False and refused["problems"][0]["element"] == "rule_decoration_route"


@pytest.mark.parametrize("path", ["/modeler/dmn/check", "/modeler/dmn/try"])
def test_the_editor_is_for_process_owners_and_administrators_only(client, auth, steps, path):
    steps.call(deploy_definition, "process_owner", files=[("repair_warranty.dmn", DMN.encode())])
    auth.login_as("engineering")
    assert client.get(f"/modeler/dmn/{KEY}/1").status_code == 403
    assert post(client, path, {"xml": DMN, "data": REPORT}).status_code == 403
