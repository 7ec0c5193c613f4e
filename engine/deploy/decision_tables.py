"""Deploy-time checks of DMN decision tables: what SpiffWorkflow 3.2's DMN engine leaves to run time.

Why: process owners edit decision tables (e.g. the repair warranty table). SpiffWorkflow evaluates a
cell only when its rule is tried, as a Python expression, so a typo or a forbidden construct in a
cell deploys cleanly and then fails every new instance. Its engine (``SpiffWorkflow.dmn``) also
runs only some hit policies: UNIQUE (it takes the first match and does not check uniqueness),
FIRST, and COLLECT without aggregation; any other value silently behaves like FIRST. Here every
cell is checked in the sandbox, as SpiffWorkflow will combine it, and the rest is refused with a
reason. (Comments inside a table, which crash its parser, are dropped in engine/spiff/parser.py.)"""
from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator, Sequence

from lxml import etree

from engine.deploy.decision_order import output_values
from engine.deploy.problems import Finding
from engine.spiff.expressions import check_expression
from engine.spiff.limits import SandboxError

__all__ = ["HIT_POLICIES", "aggregation_is_not_used", "decision_is_a_table", "decision_requires_no_decision",
           "decision_table_problems", "file_has_a_decision_table", "hit_policy_is_supported",
           "input_column_has_an_expression", "input_entries_run", "input_expression_runs", "output_entries_run",
           "priorities_are_listed"]

# PRIORITY, OUTPUT ORDER and RULE ORDER run by ordering the rules (engine/deploy/decision_order.py)
HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT", "PRIORITY", "OUTPUT ORDER", "RULE ORDER")
# SpiffWorkflow's DMNEngine: a `?` outside quotes stands for the input value.
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def decision_table_problems(root: etree._Element, function_names: Collection[str]) -> list[Finding]:
    """Every cell, input or hit policy of the DMN file that cannot run here."""
    ns = etree.QName(root).namespace
    problems: list[Finding] = list(file_has_a_decision_table(root))
    for decision in root.iter(f"{{{ns}}}decision"):
        problems += decision_is_a_table(decision)
        problems += decision_requires_no_decision(decision)
    for table in root.iter(f"{{{ns}}}decisionTable"):
        problems += hit_policy_is_supported(table)
        problems += aggregation_is_not_used(table)
        problems += priorities_are_listed(table)
        inputs = []
        for column in table.findall(f"{{{ns}}}input"):
            problems += input_column_has_an_expression(column)
            problems += input_expression_runs(column, function_names)
            inputs.append(_input_expression(column))
        for rule in table.findall(f"{{{ns}}}rule"):
            problems += input_entries_run(rule, inputs, function_names)
            problems += output_entries_run(rule, function_names)
    return problems


def file_has_a_decision_table(root: etree._Element) -> Iterator[Finding]:
    """definitions: a file of business knowledge models or decision services only has nothing to run."""
    if root.find(f"{_sibling(root, 'decision')}/{_sibling(root, 'decisionTable')}") is None:
        yield Finding(root, "DMN 文件中没有决策表，wuye 只执行决策表 (the file has no decision table: business "
                            "knowledge models, decision services and literal expressions cannot run here)")


def decision_is_a_table(decision: etree._Element) -> Iterator[Finding]:
    """decision: a literal expression (FEEL) or an invocation cannot run; only a table's cells do."""
    if decision.find(_sibling(decision, "decisionTable")) is None:
        kind = next((etree.QName(c).localname for c in decision if isinstance(c.tag, str)
                     and etree.QName(c).localname in ("literalExpression", "invocation", "context", "relation",
                                                      "list", "functionDefinition")), "no decision table")
        yield Finding(decision, f"决策 {decision.get('id')} 不是决策表 ({kind})，无法执行：请改写为决策表 (only "
                                "decision tables run here: rewrite it as a decision table)")


def decision_requires_no_decision(decision: etree._Element) -> Iterator[Finding]:
    """decision: a table fed by other decisions (a DRG) would run without their results."""
    for req in decision.iter(_sibling(decision, "requiredDecision")):
        yield Finding(req, f"决策 {decision.get('id')} 依赖另一个决策 {req.get('href')!r}，不受支持 (required "
                           "decisions are not supported: call each decision from its own business rule task)")


def priorities_are_listed(table: etree._Element) -> Iterator[Finding]:
    """PRIORITY / OUTPUT ORDER: the output values, listed in priority order, decide which rule wins."""
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in ("PRIORITY", "OUTPUT ORDER"):
        return
    columns = [output_values(o) for o in table.findall(_sibling(table, "output"))]
    if not all(columns):
        yield Finding(table, f"命中策略 {policy} 需要每个输出列列出输出值（按优先级）(each output needs "
                             "<outputValues> listing its values, highest priority first)")
        return
    for rule in table.findall(_sibling(table, "rule")):
        for entry, values in zip(rule.findall(_sibling(rule, "outputEntry")), columns, strict=False):
            value = (entry.findtext(_sibling(rule, "text")) or "").strip()
            if value not in values:
                yield Finding(entry, f"输出值 {value} 不在输出列的取值列表中 (the output value is not among the "
                                     f"listed output values {', '.join(values)}, which give the priority)")


def hit_policy_is_supported(table: etree._Element) -> Iterator[Finding]:
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES:
        yield Finding(table, f"命中策略 {policy} 不受支持 (hit policy not supported; use "
                             f"{', '.join(HIT_POLICIES)})")


def aggregation_is_not_used(table: etree._Element) -> Iterator[Finding]:
    if table.get("aggregation"):
        yield Finding(table, "COLLECT 的聚合不受支持 (COLLECT aggregation is not supported)")


def input_column_has_an_expression(column: etree._Element) -> Iterator[Finding]:
    if not _input_expression(column):
        yield Finding(column, "输入列没有表达式 (the input column has no expression)")


def input_expression_runs(column: etree._Element, function_names: Collection[str]) -> Iterator[Finding]:
    expression = _input_expression(column)
    if expression:
        yield from _runs(column, expression, function_names, "输入表达式 (input expression)")


def input_entries_run(rule: etree._Element, inputs: Sequence[str],
                      function_names: Collection[str]) -> Iterator[Finding]:
    """Each condition cell, combined with its column's input as SpiffWorkflow will evaluate it."""
    for expression, entry in zip(inputs, rule.findall(_sibling(rule, "inputEntry")), strict=False):
        cell = entry.findtext(_sibling(rule, "text"))
        if expression and cell is not None and cell.strip() not in ("", "-"):
            for combined in _as_evaluated(expression, cell.strip()):
                yield from _runs(entry, combined, function_names, "条件单元格 (input entry)")


def output_entries_run(rule: etree._Element, function_names: Collection[str]) -> Iterator[Finding]:
    for entry in rule.findall(_sibling(rule, "outputEntry")):
        cell = entry.findtext(_sibling(rule, "text"))
        if cell is not None and cell.strip():
            yield from _runs(entry, cell.strip(), function_names, "结果单元格 (output entry)")


def _sibling(node: etree._Element, tag: str) -> str:
    """``tag`` in the DMN namespace of ``node`` (DMN 1.1 to 1.5 each have their own)."""
    return f"{{{etree.QName(node).namespace}}}{tag}"


def _input_expression(column: etree._Element) -> str:
    return (column.findtext(f"{_sibling(column, 'inputExpression')}/{_sibling(column, 'text')}") or "").strip()


def _runs(node: etree._Element, expression: str, function_names: Collection[str], what: str) -> Iterator[Finding]:
    try:
        check_expression(expression, function_names)
    except SandboxError as e:
        yield Finding(node, f"{what}无法在沙箱中运行 (refused): {expression!r}: {e.message}")


def _as_evaluated(input_expression: str, cell: str) -> list[str]:
    """The expressions SpiffWorkflow's DMNEngine.evaluate builds from an input and a cell: `?` cells
    run with the input's value as ``dmninputexpr``; a cell that is an expression by itself is
    compared with ``==``; anything else (``<= add_years(d, 5)``) is appended to the input."""
    if _QUESTION_MARK.search(cell):
        return [input_expression, _QUESTION_MARK.sub("dmninputexpr", cell)]
    try:
        ast.parse(cell)
    except SyntaxError:
        return [input_expression + cell]
    return [f"({input_expression}) == ({cell})"]
