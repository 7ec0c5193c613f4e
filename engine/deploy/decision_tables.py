"""Deploy-time checks of DMN decision tables: what SpiffWorkflow 3.2's DMN engine leaves to run time.

Why: process owners edit decision tables (e.g. the repair warranty table). SpiffWorkflow evaluates a
cell only when its rule is tried, as a Python expression, so a typo or a forbidden construct in a
cell deploys cleanly and then fails every new instance. Its engine (``SpiffWorkflow.dmn``) also
runs only some hit policies: UNIQUE (it takes the first match and does not check uniqueness),
FIRST, and COLLECT without aggregation; any other value silently behaves like FIRST. And a comment
inside a decision table crashes its parser (a comment node has no string tag). Here every cell is
checked in the sandbox, as SpiffWorkflow will combine it, and the rest is refused with a reason."""
from __future__ import annotations

import ast
import copy
import re

from lxml import etree

from engine.spiff.expressions import check_expression
from engine.spiff.limits import SandboxError

__all__ = ["HIT_POLICIES", "decision_table_problems", "without_comments"]

HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
# SpiffWorkflow's DMNEngine: a `?` outside quotes stands for the input value.
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def decision_table_problems(root: etree._Element, function_names: set[str]) -> list[tuple[etree._Element, str]]:
    """(node, message) for every cell, input or hit policy of the file that cannot run here."""
    ns = etree.QName(root).namespace

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}"

    problems: list[tuple[etree._Element, str]] = []

    def check(node: etree._Element, expression: str, what: str) -> None:
        try:
            check_expression(expression, function_names)
        except SandboxError as e:
            problems.append((node, f"{what}无法在沙箱中运行 (refused): {expression!r}: {e.message}"))

    for table in root.iter(q("decisionTable")):
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in HIT_POLICIES:
            problems.append((table, f"命中策略 {policy} 不受支持 (hit policy not supported; use "
                                    f"{', '.join(HIT_POLICIES)})"))
        if table.get("aggregation"):
            problems.append((table, "COLLECT 的聚合不受支持 (COLLECT aggregation is not supported)"))
        inputs = []
        for column in table.findall(q("input")):
            expression = column.findtext(f"{q('inputExpression')}/{q('text')}")
            if not (expression or "").strip():
                problems.append((column, "输入列没有表达式 (the input column has no expression)"))
            else:
                check(column, expression.strip(), "输入表达式 (input expression)")
            inputs.append((expression or "").strip())
        for rule in table.findall(q("rule")):
            for expression, entry in zip(inputs, rule.findall(q("inputEntry"))):
                cell = entry.findtext(q("text"))
                if expression and cell is not None and cell.strip() not in ("", "-"):
                    for combined in _as_evaluated(expression, cell.strip()):
                        check(entry, combined, "条件单元格 (input entry)")
            for entry in rule.findall(q("outputEntry")):
                cell = entry.findtext(q("text"))
                if cell is not None and cell.strip():
                    check(entry, cell.strip(), "结果单元格 (output entry)")
    return problems


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


def without_comments(root: etree._Element) -> etree._Element:
    """A copy without comments and processing instructions, which SpiffWorkflow's DMN parser cannot read."""
    clean = copy.deepcopy(root)
    for node in clean.xpath("//comment() | //processing-instruction()"):
        parent = node.getparent()
        if parent is not None:
            if node.tail:
                previous = node.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + node.tail
                else:
                    parent.text = (parent.text or "") + node.tail
            parent.remove(node)
    return clean
