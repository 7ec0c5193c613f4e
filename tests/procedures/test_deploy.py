"""Deploy and refuse: every mistake a process owner can make is refused with file, line and element
id, and a refused deploy writes nothing; hostile XML (XXE, billion laughs, any DOCTYPE) is refused
without reading anything; versions follow content (BPMN and the DMN tables it uses) and running
instances keep the version they started on."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import Definition, Event
from tests.support import BPMN_DIR, ROOT, Wuye

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
T0 = "2026-11-20T09:00:00+08:00"

BASE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs_probe" targetNamespace="http://wuye.example/test">
  <bpmn:process id="probe" name="探针" isExecutable="true">
    <bpmn:laneSet id="probe_lanes">
      <bpmn:lane id="front_desk" name="前台">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fill</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_a</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_b</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill" name="填写">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="amount" label="金额" type="long" defaultValue="1">
            <camunda:validation><camunda:constraint name="min" config="0"/></camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_small">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_big</bpmn:outgoing><bpmn:outgoing>f_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_big" sourceRef="gw" targetRef="end_a">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="gw" targetRef="end_b"/>
    <bpmn:endEvent id="end_a"><bpmn:incoming>f_big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_b"><bpmn:incoming>f_small</bpmn:incoming></bpmn:endEvent>
    <!--extra-->
  </bpmn:process>
</bpmn:definitions>
"""


def variant(*replacements: tuple[str, str]) -> str:
    text = BASE
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def line_of(text: str, needle: str) -> int:
    """The line of the first occurrence of ``needle``: computed from the file, not from the code."""
    return text[: text.index(needle)].count("\n") + 1


def counts(db) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Definition)),
                conn.scalar(select(func.count()).select_from(Event)))


@pytest.fixture
def cli(sqlite_db) -> Wuye:
    return Wuye(sqlite_db.url)


def deploy_text(w: Wuye, tmp_path: Path, text: str, name: str = "probe.bpmn"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return w("deploy", str(path))


def test_the_base_probe_deploys(cli, tmp_path):
    r = deploy_text(cli, tmp_path, BASE)
    assert r.code == 0, r.err
    assert r.json["deployed"][0]["id"] == "probe"


PROCESS_LABELS = ("\n    <bpmn:extensionElements><camunda:properties>"
                  "<camunda:property {}/></camunda:properties></bpmn:extensionElements>")
INTRO_SCRIPT = '    <bpmn:scriptTask id="calc" scriptFormat="python"><bpmn:script>{}</bpmn:script></bpmn:scriptTask>\n'
REFUSALS = {
    "unknown group lane": (
        [('<bpmn:lane id="front_desk" name="前台">', '<bpmn:lane id="plumbers" name="水电工">')],
        '<bpmn:lane id="plumbers"', "plumbers", "known group"),
    "business rule task without a decision": (
        [("<!--extra-->", '<bpmn:businessRuleTask id="decide" name="决策"/>')],
        '<bpmn:businessRuleTask id="decide"', "decide", "decisionRef"),
    "unknown candidate group": (
        [("<!--extra-->", '<bpmn:userTask id="grp" camunda:candidateGroups="front_desk,gardeners"/>')],
        '<bpmn:userTask id="grp"', "grp", "gardeners"),
    "unknown form field type": (
        [('type="long" defaultValue="1"', 'type="colour" defaultValue="1"')],
        '<camunda:formField id="amount"', "amount", "colour"),
    "unknown constraint": (
        [('<camunda:constraint name="min" config="0"/>', '<camunda:constraint name="pattern" config="\\d+"/>')],
        '<camunda:formField id="amount"', "amount", "pattern"),
    "constraint without a number": (
        [('name="min" config="0"', 'name="min" config="1,5"')],
        '<camunda:formField id="amount"', "amount", "min"),
    "bad default": (
        [('defaultValue="1"', 'defaultValue="one"')],
        '<camunda:formField id="amount"', "amount", "one"),
    "form field named like a function": (
        [('<camunda:formField id="amount" label="金额"', '<camunda:formField id="date" label="日期"')],
        '<camunda:formField id="date"', "date", "function"),
    "enum without options": (
        [('type="long" defaultValue="1"', 'type="enum"')],
        '<camunda:formField id="amount"', "amount", "enum"),
    "condition that does not parse": (
        [("amount &gt; 100", "amount &gt;")],
        '<bpmn:sequenceFlow id="f_big"', "f_big", "condition"),
    "condition escaping the sandbox": (
        [("amount &gt; 100", "().__class__.__bases__[0].__subclasses__()")],
        '<bpmn:sequenceFlow id="f_big"', "f_big", "__subclasses__"),
    "condition calling an unknown function": (
        [("amount &gt; 100", "shell('ls') == 0")],
        '<bpmn:sequenceFlow id="f_big"', "f_big", "shell"),
    "timer that does not compile": (
        [("<!--extra-->", '<bpmn:boundaryEvent id="late" attachedToRef="fill"><bpmn:timerEventDefinition>'
                          '<bpmn:timeDuration>__import__("os").system("id")</bpmn:timeDuration>'
                          '</bpmn:timerEventDefinition></bpmn:boundaryEvent>')],
        '<bpmn:boundaryEvent id="late"', "late", "timer"),
    "cron timer": (
        [("<!--extra-->", '<bpmn:boundaryEvent id="tick" attachedToRef="fill"><bpmn:timerEventDefinition>'
                          '<bpmn:timeCycle>0 0/5 * * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>'
                          '</bpmn:boundaryEvent>')],
        '<bpmn:boundaryEvent id="tick"', "tick", "cron"),
    "script importing os": (
        [("<!--extra-->", INTRO_SCRIPT.format("import os"))],
        '<bpmn:scriptTask id="calc"', "calc", "script"),
    "script in another language": (
        [("<!--extra-->", '<bpmn:scriptTask id="calc" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script>'
                          '</bpmn:scriptTask>')],
        '<bpmn:scriptTask id="calc"', "calc", "groovy"),
    "service task with a Java class": (
        [("<!--extra-->", '<bpmn:serviceTask id="charge" camunda:class="com.example.Charge"/>')],
        '<bpmn:serviceTask id="charge"', "charge", "service task"),
    "Camunda embedded form": (
        [('<bpmn:userTask id="fill" name="填写">', '<bpmn:userTask id="fill" name="填写" '
                                                  'camunda:formKey="embedded:app:forms/fill.html">')],
        '<bpmn:userTask id="fill"', "fill", "formData"),
    "execution listener with a Java class": (
        [('<bpmn:extensionElements>\n        <camunda:formData>',
          '<bpmn:extensionElements>\n        <camunda:executionListener class="com.example.Audit" event="start"/>'
          '<camunda:formData>')],
        "<camunda:executionListener", "fill", "listener"),
    "unknown starter group": (
        [('isExecutable="true">', 'isExecutable="true" camunda:candidateStarterGroups="tenants">')],
        '<bpmn:process id="probe"', "probe", "tenants"),
    "no executable process": (
        [('isExecutable="true"', 'isExecutable="false"')],
        '<bpmn:process id="probe"', "probe", "isExecutable"),
    "data label without a variable": (
        [('isExecutable="true">', 'isExecutable="true">' + PROCESS_LABELS.format('name="label:" value="金额"'))],
        '<camunda:property name="label:"', "probe", "label"),
    # the modeler's lint rule pack, refused by the server too (engine/deploy/paths.py)
    "a step with no way on": (
        [('targetRef="end_b"/>', 'targetRef="stuck"/>'), ("<!--extra-->", '<bpmn:task id="stuck"/>')],
        '<bpmn:task id="stuck"', "stuck", "the path stops here"),
    "a loop with no way out": (
        [('targetRef="end_b"/>', 'targetRef="spin"/>'),
         ("<!--extra-->", '<bpmn:task id="spin"/><bpmn:sequenceFlow id="f_spin" sourceRef="spin" targetRef="spin"/>')],
        '<bpmn:task id="spin"', "spin", "no path from here reaches an end event"),
    "deadline of no penalty row": (
        [("<!--extra-->", '<bpmn:boundaryEvent id="late" attachedToRef="fill" cancelActivity="false">'
                          '<bpmn:extensionElements><camunda:properties><camunda:property name="deadline" value="Z9"/>'
                          '</camunda:properties></bpmn:extensionElements><bpmn:timerEventDefinition>'
                          '<bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>'
                          '</bpmn:boundaryEvent>')],
        '<bpmn:boundaryEvent id="late"', "late", "deadline Z9 names no row of the penalty table"),
    "data label without a name to show": (
        [('isExecutable="true">', 'isExecutable="true">' + PROCESS_LABELS.format('name="label:total" value=" "'))],
        '<camunda:property name="label:total"', "probe", "label"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_mistake_is_refused_with_file_line_and_element(cli, sqlite_db, tmp_path, case):
    replacements, anchor, element, words = REFUSALS[case]
    text = variant(*replacements)
    before = counts(sqlite_db)
    r = deploy_text(cli, tmp_path, text)
    assert r.code == 2, (case, r.out)
    lines = r.err.strip().removeprefix("wuye: ").splitlines()
    expected = f"probe.bpmn:{line_of(text, anchor)}: {element}: "
    hits = [ln for ln in lines if ln.startswith(expected)]
    assert hits, f"{case}: expected a line starting {expected!r} in:\n{r.err}"
    assert words.lower() in hits[0].lower(), hits[0]
    assert "Traceback" not in r.err and r.out == ""
    assert counts(sqlite_db) == before


def test_a_process_label_property_names_a_script_set_variable_in_the_definitions_label_map(cli, tmp_path):
    """A variable only a script sets has no form label: the process's `label:<variable>` property is
    the one place that names it, and deploy puts it into the same map as every form field's label."""
    labels = PROCESS_LABELS.format('name="label:total" value="合计金额"/>'
                                   '<camunda:property name="label:amount" value="申请金额"')
    text = variant(('isExecutable="true">', 'isExecutable="true">' + labels),
                   ("<!--extra-->", INTRO_SCRIPT.format("total = amount * 2")))
    r = deploy_text(cli, tmp_path, text)
    assert r.code == 0, r.err
    from storage.uow import Database
    db = Database(cli.url)
    try:
        with db.uow(readonly=True) as uow:
            (definition,) = uow.definitions.versions("bpmn", "probe")
            meta = definition.meta
    finally:
        db.dispose()
    assert meta["labels"]["total"] == {"label": "合计金额", "type": None, "options": {}}
    # the process's label wins over the form's wording; the field keeps its type
    assert meta["labels"]["amount"] == {"label": "申请金额", "type": "long", "options": {}}
    assert "label:total" not in meta["elements"]["fill"]["properties"]


def test_a_pool_that_never_runs_is_not_held_to_the_rules_for_running(cli, tmp_path):
    """A collaboration often draws the customer's pool too: not executable, no wuye lanes, free text.
    Only the executable process (and what it calls) must be runnable."""
    customer = ('  <bpmn:process id="customer" isExecutable="false">\n'
                '    <bpmn:laneSet id="c_lanes"><bpmn:lane id="owners"><bpmn:flowNodeRef>ask</bpmn:flowNodeRef>'
                '</bpmn:lane></bpmn:laneSet>\n'
                '    <bpmn:task id="ask" name="业主来电"/><bpmn:userTask id="wait_home" name="在家等候"/>\n'
                '    <bpmn:sequenceFlow id="c1" sourceRef="ask" targetRef="wait_home">'
                '<bpmn:conditionExpression>when the owner is home</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
                '  </bpmn:process>\n')
    text = BASE.replace("</bpmn:definitions>", customer + "</bpmn:definitions>")
    r = deploy_text(cli, tmp_path, text)
    assert r.code == 0, r.err
    assert [d["id"] for d in r.json["deployed"]] == ["probe"]
    called = text.replace('id="customer" isExecutable="false"', 'id="customer" isExecutable="false"').replace(
        "<!--extra-->", '<bpmn:callActivity id="call_customer" calledElement="customer"/>')
    refused = deploy_text(cli, tmp_path, called, "called.bpmn")
    assert refused.code == 2 and "called.bpmn" in refused.err and "owners" in refused.err   # now it runs


def test_every_problem_of_a_file_is_listed_at_once(cli, tmp_path):
    text = variant(('<bpmn:lane id="front_desk" name="前台">', '<bpmn:lane id="plumbers" name="水电工">'),
                   ('type="long" defaultValue="1"', 'type="colour" defaultValue="1"'),
                   ("amount &gt; 100", "amount &gt;"))
    r = deploy_text(cli, tmp_path, text)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) >= 3 and all(":" in ln and "probe.bpmn:" in ln for ln in lines)


@pytest.mark.parametrize(("content", "words"), [
    (b"<html><body>not a process</body></html>", "not a BPMN 2.0 or DMN file"),
    (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>\n<bpmn:process id='p'>",
     "not well-formed"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not well-formed"),
])
def test_files_that_are_not_bpmn_are_refused(cli, sqlite_db, tmp_path, content, words):
    path = tmp_path / "upload.bpmn"
    path.write_bytes(content)
    before = counts(sqlite_db)
    r = cli("deploy", str(path))
    assert r.code == 2 and words in r.err and "upload.bpmn" in r.err and "Traceback" not in r.err
    assert counts(sqlite_db) == before


def test_a_refused_file_in_a_batch_refuses_the_whole_batch(db, tmp_path):
    """On SQLite and PostgreSQL: nothing of a refused deploy is stored, not even the good files."""
    w = Wuye(db.url)
    good = tmp_path / "good.bpmn"
    good.write_text(BASE, encoding="utf-8")
    bad = tmp_path / "bad.bpmn"
    bad.write_text(variant(("amount &gt; 100", "import os")).replace('id="probe"', 'id="probe2"'), encoding="utf-8")
    before = counts(db)
    r = w("deploy", str(good), str(BPMN_DIR / "fee_decision.dmn"), str(bad))
    assert r.code == 2 and "bad.bpmn" in r.err and "good.bpmn" not in r.err
    assert counts(db) == before
    assert w("start", "probe", "--as", "front_desk").code == 4


# -- hostile XML ---------------------------------------------------------------------------------

XXE = """<?xml version="1.0"?>
<!DOCTYPE bpmn:definitions [<!ENTITY leak SYSTEM "{target}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="leak" name="&leak;" isExecutable="true"/>
</bpmn:definitions>
"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="lol" name="&lol9;" isExecutable="true"/>
</bpmn:definitions>
"""


def test_an_external_entity_to_etc_hostname_is_refused_and_not_read(cli, sqlite_db, tmp_path):
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "no-hostname"
    before = counts(sqlite_db)
    r = deploy_text(cli, tmp_path, XXE.format(target="file:///etc/hostname"), "xxe.bpmn")
    assert r.code == 2 and "DOCTYPE" in r.err and "xxe.bpmn:" in r.err
    assert secret not in r.err and secret not in r.out
    assert counts(sqlite_db) == before


def test_an_external_entity_is_never_opened_file_or_network(tmp_path):
    """A FIFO blocks whoever opens it, a listening socket records whoever connects: the deploy,
    in a real subprocess, must finish promptly and leave both untouched."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    connections: list = []

    def accept():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not connections:
            try:
                connections.append(server.accept())
            except OSError:
                continue

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    files = []
    for i, target in enumerate([f"file://{fifo}", f"http://127.0.0.1:{port}/dtd"]):
        p = tmp_path / f"x{i}.bpmn"
        p.write_text(XXE.format(target=target), encoding="utf-8")
        files.append(p)
    dtd = tmp_path / "x2.bpmn"
    dtd.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "http://127.0.0.1:{port}/ext.dtd">\n'
                   '<d/>', encoding="utf-8")
    files.append(dtd)
    script = ("import sys\nfrom engine.deploy.safe_xml import parse_xml\nfrom engine.errors import BadInput\n"
              "for name in sys.argv[1:]:\n"
              "    try:\n        parse_xml(open(name, 'rb').read(), name)\n        print('PARSED', name)\n"
              "    except BadInput as e:\n        print('REFUSED', e.message)\n")
    done = subprocess.run([sys.executable, "-c", script, *map(str, files)], capture_output=True, text=True,
                          timeout=30, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    listener.join(timeout=1)
    server.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("REFUSED") == 3 and "PARSED" not in done.stdout
    assert connections == []


def test_billion_laughs_is_refused_quickly(cli, sqlite_db, tmp_path):
    before = counts(sqlite_db)
    t = time.monotonic()
    r = deploy_text(cli, tmp_path, LAUGHS, "lol.bpmn")
    assert time.monotonic() - t < 5
    assert r.code == 2 and "lol.bpmn:" in r.err and len(r.err) < 500
    assert counts(sqlite_db) == before


def test_a_plain_doctype_is_refused(cli, tmp_path):
    text = BASE.replace('<?xml version="1.0" encoding="UTF-8"?>\n',
                        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE bpmn:definitions>\n')
    r = deploy_text(cli, tmp_path, text)
    assert r.code == 2 and "DOCTYPE" in r.err


# -- versions ------------------------------------------------------------------------------------

def test_a_changed_decision_table_makes_a_new_version_of_the_process_that_uses_it(cli, tmp_path):
    first = cli("deploy", str(BPMN_DIR / "fee_decision.dmn"), str(BPMN_DIR / "fee_check.bpmn"))
    assert first.code == 0, first.err
    assert {(d["kind"], d["id"], d["version"]) for d in first.json["deployed"]} == \
        {("dmn", "fee_defs", 1), ("bpmn", "fee_check", 1)}
    old = cli("start", "fee_check", "--as", "engineering", "--data", '{"hours": 5}', now=T0).json

    dmn = tmp_path / "fee_decision.dmn"
    dmn.write_text((BPMN_DIR / "fee_decision.dmn").read_text(encoding="utf-8")
                   .replace("<text>200</text>", "<text>260</text>"), encoding="utf-8")
    second = cli("deploy", str(dmn))
    assert second.code == 0, second.err
    assert {(d["kind"], d["id"], d["version"], d["new"]) for d in second.json["deployed"]} == \
        {("dmn", "fee_defs", 2, True), ("bpmn", "fee_check", 2, True)}
    again = cli("deploy", str(dmn))
    assert [d["new"] for d in again.json["deployed"]] == [False]

    new = cli("start", "fee_check", "--as", "engineering", "--data", '{"hours": 5}', now=T0).json
    assert (old["version"], new["version"]) == (1, 2)
    assert cli("show", str(old["instance"])).json["data"]["fee"] == 200
    assert cli("show", str(new["instance"])).json["data"]["fee"] == 260


def test_a_running_instance_keeps_its_version_after_a_new_deploy(cli, tmp_path):
    leave = BPMN_DIR / "leave_request.bpmn"
    assert cli("deploy", str(leave)).code == 0
    old = cli("start", "visit_request", "--as", "front_desk", "--data", '{"room": "1-1"}', now=T0).json

    changed = tmp_path / "leave_request.bpmn"
    changed.write_text(leave.read_text(encoding="utf-8")
                       .replace('name="上门维修"', 'name="上门维修 v2"')
                       .replace("cost = hours * 50", "cost = hours * 80"), encoding="utf-8")
    assert [d["version"] for d in cli("deploy", str(changed)).json["deployed"]] == [2]
    new = cli("start", "visit_request", "--as", "front_desk", "--data", '{"room": "2-2"}', now=T0).json
    assert (old["version"], new["version"]) == (1, 2)

    for started in (old, new):
        done = cli("complete", started["ready"][0]["id"], "--as", "front_desk", "--data", '{"content": "漏水"}',
                   now="2026-11-20T09:05:00+08:00").json
        (repair,) = done["ready"]
        assert repair["title"] == ("上门维修" if started is old else "上门维修 v2")
        cli("complete", repair["id"], "--as", "engineering", "--data", '{"hours": 3}',
            now="2026-11-20T09:30:00+08:00")
    assert cli("show", str(old["instance"])).json["data"]["cost"] == 150
    assert cli("show", str(new["instance"])).json["data"]["cost"] == 240
    assert cli("show", str(old["instance"])).json["version"] == 1


def test_the_deploy_event_records_who_deployed_what(cli):
    r = cli("deploy", str(BPMN_DIR / "leave_request.bpmn"), "--as", "process_owner", now=T0)
    assert r.code == 0
    from storage.uow import Database
    db = Database(cli.url)
    try:
        with db.uow(readonly=True) as uow:
            (definition,) = uow.definitions.versions("bpmn", "visit_request")
            assert (definition.deployed_by, definition.file_name) == ("process_owner", "leave_request.bpmn")
            content_hash = definition.content_hash
            deployed = [e for e in uow.events.all() if e.type == "deployed"]
            assert [(e.actor, e.data["id"], e.data["version"]) for e in deployed] == \
                [("process_owner", "visit_request", 1)]
    finally:
        db.dispose()
    assert json.loads(r.out)["deployed"][0]["hash"] == content_hash
