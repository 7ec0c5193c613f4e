"""The deploy-time rules one by one (engine/deploy/: checks, people, forms, structure, timers,
expressions, decision_tables), on XML trees in memory: each mistake is reported once, by its own
rule, with its own message; a clean element passes every rule; no rule is left out of the table."""
from __future__ import annotations

import inspect

import pytest
from lxml import etree

from engine.deploy import checks, correlation, expressions, forms, paths, people, structure, timers
from engine.deploy.build import parse_processes
from engine.deploy.decision_tables import decision_table_problems
from engine.deploy.meta import lane_of, process_meta
from engine.deploy.problems import Context, Problems, Rule
from engine.deploy.sources import load_source
from engine.errors import BadInput
from tests.support import found

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
GROUPS = frozenset({"front_desk", "engineering"})
FUNCTIONS = frozenset({"add_working_hours", "now"})
PENALTY_ROWS = frozenset({"C1"})
CTX = Context(GROUPS, FUNCTIONS, penalty_rows=PENALTY_ROWS)


def diagram(body: str, process_attrs: str = 'isExecutable="true"', lane_refs: str = "fill") -> etree._Element:
    """A one-process diagram: a lane `front_desk` holding ``lane_refs``, a user task `fill`, and ``body``."""
    refs = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in lane_refs.split())
    return etree.fromstring(
        f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:camunda="{CAMUNDA}" id="d">\n'
        f'<bpmn:process id="p" {process_attrs}>\n'
        f'<bpmn:laneSet id="ls"><bpmn:lane id="front_desk">{refs}</bpmn:lane></bpmn:laneSet>\n'
        f'<bpmn:userTask id="fill"/>\n{body}\n</bpmn:process>\n</bpmn:definitions>'.encode())


def lines(tree: etree._Element) -> list[str]:
    problems = Problems()
    problems.extend("t.bpmn", checks.bpmn_findings(tree, known_groups=GROUPS, function_names=FUNCTIONS,
                                                   penalty_rows=PENALTY_ROWS))
    return problems.lines


# (case, BPMN inserted into the diagram, the rule that must report it, words of its message)
MISTAKES = [
    ("lane of an unknown group", "", people.lane_is_a_known_group, "lane id is not a known group"),
    ("unknown starter group", "", people.starter_groups_are_known, "unknown candidateStarterGroups group"),
    ("expression assignee", '<bpmn:userTask id="x" camunda:assignee="${initiator}"/>',
     people.assignee_is_a_user_name, "expression assignee"),
    ("unknown candidate group", '<bpmn:userTask id="x" camunda:candidateGroups="front_desk, gardeners"/>',
     people.candidate_groups_are_known, "unknown candidate group) gardeners"),
    ("embedded form", '<bpmn:startEvent id="x" camunda:formKey="embedded:app:f.html"/>', forms.form_is_declared_here,
     "camunda:formData"),
    ("bad form field", '<bpmn:startEvent id="x"><bpmn:extensionElements><camunda:formData>'
                       '<camunda:formField id="n" type="long" defaultValue="many"/></camunda:formData>'
                       '</bpmn:extensionElements></bpmn:startEvent>', forms.form_fields_are_valid, "默认值 'many'"),
    ("field named like a function", '<bpmn:startEvent id="x"><bpmn:extensionElements><camunda:formData>'
                                    '<camunda:formField id="sorted"/></camunda:formData></bpmn:extensionElements>'
                                    '</bpmn:startEvent>', forms.form_fields_are_not_named_like_functions, "'sorted'"),
    ("label without a name to show", "", forms.data_labels_are_complete, "label:<variable>"),
    ("case summary of no variable", '<bpmn:extensionElements><camunda:properties>'
                                    '<camunda:property name="case:what" value="repair text"/>'
                                    '</camunda:properties></bpmn:extensionElements>',
     forms.case_summary_is_valid, "'repair text' 不是变量名"),
    ("correlation of a message the file lacks", "", correlation.correlations_run_in_the_sandbox,
     "names no message of this file"),
    ("no executable process", "", structure.has_an_executable_process, 'isExecutable="true"'),
    ("flow to nowhere", '<bpmn:sequenceFlow id="x" sourceRef="fill" targetRef="gone"/>',
     structure.flow_connects_two_elements, "targetRef 'gone'"),
    ("complex gateway", '<bpmn:complexGateway id="x"/>', structure.element_is_supported, "复杂网关 (complex gateway)"),
    ("service task with a Java class", '<bpmn:serviceTask id="x" camunda:class="a.B"/>', structure.service_is_external,
     "use an external task with topic x"),
    ("collection as an expression", '<bpmn:userTask id="x"><bpmn:multiInstanceLoopCharacteristics '
     'camunda:collection="${rooms.keys()}"/></bpmn:userTask>', expressions.collection_is_a_variable,
     "must name a process variable"),
    ("message throw with a Java class", '<bpmn:intermediateThrowEvent id="x"><bpmn:messageEventDefinition '
     'camunda:class="a.B"/></bpmn:intermediateThrowEvent>', structure.message_throw_is_external,
     "use an external task with topic x"),
    ("JUEL loop cardinality with a bean", '<bpmn:userTask id="x"><bpmn:multiInstanceLoopCharacteristics>'
     '<bpmn:loopCardinality>${execution.getVariable("n")}</bpmn:loopCardinality>'
     '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>', expressions.loop_cardinality_runs_in_the_sandbox,
     "循环次数 (loop cardinality)"),
    ("Java decision without a table", '<bpmn:businessRuleTask id="x" camunda:class="a.B"/>',
     structure.decision_is_not_java, "Java class"),
    ("decision without a table", '<bpmn:businessRuleTask id="x"/>', structure.decision_has_a_table, "decisionRef"),
    ("Java listener", '<bpmn:scriptTask id="x"><bpmn:extensionElements><camunda:executionListener '
                      'delegateExpression="${audit}" event="start"/></bpmn:extensionElements>'
                      '<bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>', structure.listeners_are_runnable,
     "execution listeners"),
    ("cron cycle", '<bpmn:boundaryEvent id="x" attachedToRef="fill"><bpmn:timerEventDefinition>'
                   '<bpmn:timeCycle>0 0/5 * * * ?</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
     timers.timer_is_not_cron, "cron"),
    ("zero cycle period", '<bpmn:boundaryEvent id="x" attachedToRef="fill"><bpmn:timerEventDefinition>'
                          '<bpmn:timeCycle>R/PT0S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
     timers.timer_is_within_bounds, "太短"),
    ("empty timer", '<bpmn:boundaryEvent id="x" attachedToRef="fill"><bpmn:timerEventDefinition>'
                    '<bpmn:timeDate> </bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
     timers.timer_is_not_empty, "定时表达式 (timer)为空"),
    ("timer calling an unknown function", '<bpmn:boundaryEvent id="x" attachedToRef="fill"><bpmn:timerEventDefinition>'
                                          '<bpmn:timeDuration>add_working_days(now(), 1)</bpmn:timeDuration>'
                                          '</bpmn:timerEventDefinition></bpmn:boundaryEvent>',
     timers.timer_runs_in_the_sandbox, 'unknown function "add_working_days"'),
    ("empty condition", '<bpmn:sequenceFlow id="x" sourceRef="fill" targetRef="fill"><bpmn:conditionExpression>'
                        '</bpmn:conditionExpression></bpmn:sequenceFlow>', expressions.condition_is_not_empty,
     "条件表达式 (condition)为空"),
    ("JUEL condition with a bean", '<bpmn:sequenceFlow id="x" sourceRef="fill" targetRef="fill">'
                                   '<bpmn:conditionExpression>${execution.getVariable("a")}</bpmn:conditionExpression>'
                                   '</bpmn:sequenceFlow>', expressions.condition_runs_in_the_sandbox,
     "'${execution.getVariable(\"a\")}'"),
    ("a step that stops", '<bpmn:task id="y"/><bpmn:sequenceFlow id="f1" sourceRef="y" targetRef="x"/>'
                          '<bpmn:task id="x"/>', paths.flow_leads_on, "the path stops here"),
    ("a loop with no way out", '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="e"/>'
                               '<bpmn:task id="x"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
                               '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"/>'
                               '<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="x"/>'
                               '<bpmn:sequenceFlow id="f4" sourceRef="x" targetRef="x"/>',
     paths.every_path_reaches_an_end, "x: 从这里走不到任何结束事件"),
    ("deadline of no penalty row", '<bpmn:boundaryEvent id="x" attachedToRef="fill"><bpmn:extensionElements>'
                                   '<camunda:properties><camunda:property name="deadline" value="Z9"/>'
                                   '</camunda:properties></bpmn:extensionElements><bpmn:timerEventDefinition>'
                                   '<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
                                   '</bpmn:boundaryEvent>', paths.deadline_names_a_penalty_row,
     "时限编号 Z9 不在扣罚表中"),
    ("groovy script without a script", '<bpmn:scriptTask id="x" scriptFormat="groovy"/>', expressions.script_is_python,
     "groovy"),
    ("script task without a script", '<bpmn:scriptTask id="x"><bpmn:script> </bpmn:script></bpmn:scriptTask>',
     expressions.script_is_not_empty, "no script"),
    ("script that imports", '<bpmn:scriptTask id="x"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>',
     expressions.script_is_safe, "line 1: import is not allowed"),
]
# the diagram-level mistakes change the diagram itself, not its body
DIAGRAM = {
    "lane of an unknown group": lambda t: t.find(f".//{{{BPMN}}}lane").set("id", "plumbers"),
    "unknown starter group": lambda t: t.find(f"{{{BPMN}}}process").set(f"{{{CAMUNDA}}}candidateStarterGroups",
                                                                         "front_desk,tenants"),
    "label without a name to show": lambda t: t.find(f"{{{BPMN}}}process").insert(0, etree.fromstring(
        f'<bpmn:extensionElements xmlns:bpmn="{BPMN}" xmlns:camunda="{CAMUNDA}"><camunda:properties>'
        '<camunda:property name="label:total" value=" "/></camunda:properties></bpmn:extensionElements>')),
    "no executable process": lambda t: t.find(f"{{{BPMN}}}process").set("isExecutable", "false"),
    "correlation of a message the file lacks": lambda t: t.insert(0, etree.fromstring(
        f'<bpmn:correlationProperty xmlns:bpmn="{BPMN}" id="cp"><bpmn:correlationPropertyRetrievalExpression '
        'messageRef="nowhere"><bpmn:formalExpression>bill_no</bpmn:formalExpression>'
        '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>')),
}


def mistaken(case: str, body: str, rule: Rule) -> etree._Element:
    tree = diagram(body, lane_refs="fill" if rule is people.person_task_has_someone else "fill x")
    if case in DIAGRAM:
        DIAGRAM[case](tree)
    return tree


def said_by(rule: Rule, tree: etree._Element) -> list[str]:
    """What ``rule`` alone says about ``tree``, applied where the table applies it."""
    if rule in checks.FILE_RULES:
        nodes = [tree]
    else:
        tags = {tag for tag, rules in checks.ELEMENT_RULES.items() if rule in rules}
        nodes = [n for n in tree.iter() if isinstance(n.tag, str)
                 and (rule in checks.EVERY_ELEMENT or etree.QName(n).localname in tags)]
    ctx = Context(GROUPS, FUNCTIONS, lane_of(found(tree.find(f"{{{BPMN}}}process"), "the diagram's process")),
                  PENALTY_ROWS)
    return [finding.message for n in nodes for finding in rule(ctx, n)]


@pytest.mark.parametrize(("case", "body", "rule", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_reported_once_by_its_own_rule(case, body, rule, words):
    (line,) = lines(mistaken(case, body, rule))
    assert words in line, line
    assert said_by(rule, mistaken(case, body, rule)) == [line.split(": ", 2)[2]]


def warnings(tree: etree._Element) -> list[str]:
    problems = Problems()
    problems.extend("t.bpmn", checks.bpmn_findings(tree, known_groups=GROUPS, function_names=FUNCTIONS))
    return problems.warnings


@pytest.mark.parametrize("local", sorted(people.PERSON_TASKS))
def test_every_kind_of_task_that_waits_for_a_person_is_held_to_the_same_rules(local):
    (unknown,) = lines(diagram(f'<bpmn:{local} id="x" camunda:candidateGroups="gardeners"/>'))
    (computed,) = lines(diagram(f'<bpmn:{local} id="x" camunda:assignee="${{boss}}"/>'))
    assert "gardeners" in unknown and "expression assignee" in computed


@pytest.mark.parametrize("local", sorted(people.PERSON_TASKS))
def test_a_task_nobody_is_named_for_deploys_with_a_warning_that_it_waits_to_be_assigned(local):
    tree = diagram(f'<bpmn:{local} id="x"/>')
    assert lines(tree) == []
    (warning,) = warnings(tree)
    assert warning.startswith("t.bpmn:") and ": x: " in warning
    assert people.PERSON_TASKS[local][1] + " is in no lane" in warning and "unassigned queue" in warning


def test_an_input_output_mapping_deploys_with_a_warning_that_it_is_not_applied():
    tree = diagram('<bpmn:serviceTask id="x" camunda:type="external" camunda:topic="t"><bpmn:extensionElements>'
                   '<camunda:inputOutput><camunda:inputParameter name="a">${b}</camunda:inputParameter>'
                   '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>')
    assert lines(tree) == []
    (warning,) = warnings(tree)
    assert ": x: camunda:inputOutput" in warning and "not applied" in warning


def test_a_juel_collection_becomes_the_variable_it_names():
    tree = diagram('<bpmn:userTask id="x"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${rooms}" '
                   'camunda:elementVariable="room"/></bpmn:userTask>', lane_refs="fill x")
    assert lines(tree) == []
    mi = found(tree.find(f".//{{{BPMN}}}multiInstanceLoopCharacteristics"), "the loop")
    assert mi.get(f"{{{CAMUNDA}}}collection") == "rooms" and mi.get(f"{{{CAMUNDA}}}elementVariable") == "room"


def test_a_plain_task_is_not_work_for_a_person_so_nobody_need_be_named():
    assert lines(diagram('<bpmn:task id="x"/>')) == [] and warnings(diagram('<bpmn:task id="x"/>')) == []


def test_a_clean_diagram_passes_every_rule():
    body = ('<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:formData><camunda:formField id="amount" '
            'type="long" defaultValue="1"/></camunda:formData></bpmn:extensionElements></bpmn:startEvent>'
            '<bpmn:task id="t" camunda:candidateGroups="engineering"/>'
            '<bpmn:manualTask id="m" camunda:assignee="li.si"/>'
            '<bpmn:scriptTask id="calc"><bpmn:script>total = amount * 2</bpmn:script></bpmn:scriptTask>'
            '<bpmn:businessRuleTask id="b" camunda:decisionRef="fee"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="fill">'
            '<bpmn:conditionExpression>${amount &gt; 1 &amp;&amp; '
            '!done}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:endEvent id="done"/><bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="done"/>'
            '<bpmn:boundaryEvent id="late" attachedToRef="fill"><bpmn:timerEventDefinition><bpmn:timeDate>'
            'add_working_hours(now(), 8)</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    assert lines(diagram(body)) == []


def test_the_rules_leave_the_tree_runnable_for_spiffworkflow():
    """ISO literals are quoted (SpiffWorkflow evaluates timer text) and JUEL becomes Python."""
    tree = diagram('<bpmn:boundaryEvent id="late" attachedToRef="fill"><bpmn:timerEventDefinition><bpmn:timeDuration>'
                   ' PT2H </bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
                   '<bpmn:sequenceFlow id="f" sourceRef="fill" targetRef="late"><bpmn:conditionExpression>'
                   '${a eq 1 || !b}</bpmn:conditionExpression></bpmn:sequenceFlow>')
    assert lines(tree) == []
    assert tree.findtext(f".//{{{BPMN}}}timeDuration") == '"PT2H"'
    assert tree.findtext(f".//{{{BPMN}}}conditionExpression") == "a == 1 or not b"


def test_a_refusal_lists_every_problem_in_the_order_of_the_file():
    tree = diagram('<bpmn:scriptTask id="a" scriptFormat="js"/><bpmn:sendTask id="b" camunda:class="x.Y"/>'
                   '<bpmn:sequenceFlow id="c" sourceRef="a" targetRef="b"><bpmn:conditionExpression>__x__'
                   '</bpmn:conditionExpression></bpmn:sequenceFlow>')
    found(tree.find(f".//{{{BPMN}}}lane"), "the diagram's lane").set("id", "plumbers")
    reported = lines(tree)
    assert [ln.split(": ")[1] for ln in reported] == ["plumbers", "a", "b", "b", "c"]   # b: Java, and no way on
    assert [int(ln.split(":")[1]) for ln in reported] == sorted(int(ln.split(":")[1]) for ln in reported)


def test_a_pool_that_never_runs_is_not_checked_but_a_called_one_is():
    tree = diagram('<bpmn:callActivity id="call" calledElement="q"/>', lane_refs="fill call")
    tree.append(etree.fromstring(f'<bpmn:process xmlns:bpmn="{BPMN}" id="q" isExecutable="false">'
                                 '<bpmn:complexGateway id="s"/></bpmn:process>'))
    tree.append(etree.fromstring(f'<bpmn:process xmlns:bpmn="{BPMN}" id="drawing"><bpmn:complexGateway id="d"/>'
                                 '</bpmn:process>'))
    assert [ln.split(": ")[1] for ln in lines(tree)] == ["s"]


def test_every_rule_of_the_rule_modules_is_in_the_table():
    """A rule is a function (ctx, element); one that is written but not listed would never run."""
    listed = {*checks.FILE_RULES, *checks.EVERY_ELEMENT, *(r for rs in checks.ELEMENT_RULES.values() for r in rs)}
    written = {f for m in (people, forms, structure, timers, expressions, correlation, paths)
               for name in m.__all__
               if callable(f := getattr(m, name)) and inspect.isfunction(f)
               and list(inspect.signature(f).parameters)[:1] == ["ctx"] and len(inspect.signature(f).parameters) == 2}
    assert written == listed
    # and each has its case above (the one rule that only warns has its own test)
    warns = {people.person_task_has_someone, expressions.io_mapping_is_not_ignored}
    assert {m[2] for m in MISTAKES} | warns == listed


def test_a_problem_names_the_nearest_element_with_an_id_and_its_own_line():
    tree = etree.fromstring(f'<bpmn:definitions xmlns:bpmn="{BPMN}">\n<bpmn:process id="p">\n'
                            '<bpmn:timerEventDefinition>\n<bpmn:timeDate/></bpmn:timerEventDefinition>'
                            '</bpmn:process></bpmn:definitions>'.encode())
    problems = Problems()
    problems.add("f.bpmn", found(tree.find(f".//{{{BPMN}}}timeDate"), "bpmn:timeDate"), "reason")
    problems.add("f.bpmn", tree, "whole file")
    assert problems.lines == ["f.bpmn:4: p: reason", "f.bpmn:1: whole file"]
    with pytest.raises(BadInput, match=r"f\.bpmn:4: p: reason\nf\.bpmn:1: whole file"):
        problems.raise_if_any()


def test_a_process_property_without_a_name_does_not_break_the_metadata():
    tree = diagram("")
    process = found(tree.find(f"{{{BPMN}}}process"), "the diagram's process")
    process.insert(0, etree.fromstring(
        f'<bpmn:extensionElements xmlns:bpmn="{BPMN}" xmlns:camunda="{CAMUNDA}"><camunda:properties>'
        '<camunda:property value="orphan"/><camunda:property name="label:total" value="合计"/>'
        '</camunda:properties></bpmn:extensionElements>'))
    assert lines(tree) == []
    assert process_meta(tree, process)["labels"] == {"total": {"label": "合计", "type": None, "options": {}}}


DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn_table(attrs: str, inputs: list[str], rules: list[tuple[list[str], str]]) -> etree._Element:
    cols = "".join(f'<input id="in{i}"><inputExpression><text>{e}</text></inputExpression></input>'
                   for i, e in enumerate(inputs))
    rows = "".join(f'<rule id="r{n}">' + "".join(f"<inputEntry><text>{c}</text></inputEntry>" for c in cells)
                   + f"<outputEntry><text>{out}</text></outputEntry></rule>" for n, (cells, out) in enumerate(rules))
    return etree.fromstring(f'<definitions xmlns="{DMN}" id="d"><decision id="fee"><decisionTable id="t" {attrs}>'
                            f'{cols}<output id="o" name="fee"/>{rows}</decisionTable></decision></definitions>')


@pytest.mark.parametrize(("attrs", "inputs", "rules", "words"), [
    ('hitPolicy="ANY"', ["hours"], [([">= 2"], "200")], "命中策略 ANY"),
    ('hitPolicy="PRIORITY"', ["hours"], [([">= 2"], "200")], "outputValues"),
    ('hitPolicy="COLLECT" aggregation="SUM"', ["hours"], [([">= 2"], "200")], "COLLECT aggregation"),
    ("", [" "], [(["-"], "200")], "the input column has no expression"),
    ("", ["hours.__class__"], [(["-"], "200")], "输入表达式 (input expression)"),
    ("", ["hours"], [(["> shell(1)"], "200")], 'unknown function "shell"'),
    ("", ["hours"], [(["? > 2 and open(1)"], "200")], 'unknown function "open"'),
    ("", ["hours"], [(["-"], "__import__('os')")], "结果单元格 (output entry)"),
])
def test_each_decision_table_mistake_is_reported_once(attrs, inputs, rules, words):
    (finding,) = decision_table_problems(dmn_table(attrs, inputs, rules), FUNCTIONS)
    assert words in finding.message


def test_a_decision_table_that_runs_passes():
    table = dmn_table('hitPolicy="FIRST"', ["hours", "kind"],
                      [([">= 2", '"water"'], "hours * 100"), (["-", "? in ('a', 'b')"], "add_working_hours(now(), 1)")])
    assert decision_table_problems(table, FUNCTIONS) == []


def test_what_spiffworkflow_refuses_is_reported_at_the_element_it_names():
    """A missing decision table is only found by SpiffWorkflow's parser (engine/spiff/parser.py)."""
    text = etree.tostring(diagram('<bpmn:startEvent id="s"/>\n<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="b"/>\n'
                                  '<bpmn:businessRuleTask id="b" camunda:decisionRef="nowhere"/>\n'
                                  '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="e"/>'))
    src = load_source("t.bpmn", text)
    with pytest.raises(BadInput) as refused:
        parse_processes([src], [], known_groups=GROUPS, function_names=FUNCTIONS)
    line = next(n.sourceline for n in src.root.iter() if n.get("id") == "b")
    assert refused.value.message.startswith(f"t.bpmn:{line}: b: ") and "nowhere" in refused.value.message
