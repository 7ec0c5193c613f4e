"""Deploy-time rules for the BPMN text that runs: gateway/loop conditions and script tasks.

Why here and not at run time: SpiffWorkflow evaluates a condition only when a token reaches it, so
a typo or a forbidden construct would deploy cleanly and fail an instance weeks later. Camunda's
habits are made runnable first (JUEL ``${a && b}`` is translated, in the copy of the tree
SpiffWorkflow will parse), then checked in the sandbox exactly as it will run."""
from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from engine.deploy.meta import CAMUNDA_NS, NS
from engine.deploy.problems import Context, Finding
from engine.spiff.expressions import check_expression
from engine.spiff.juel import translate_expression
from engine.spiff.limits import SandboxError
from engine.spiff.scripts import check_script

__all__ = ["CONDITION", "LOOP_CARDINALITY", "collection_is_a_variable", "condition_is_not_empty",
           "condition_runs_in_the_sandbox", "io_mapping_is_not_ignored", "loop_cardinality_runs_in_the_sandbox",
           "not_empty", "runs_in_the_sandbox", "script_is_not_empty", "script_is_python", "script_is_safe", "text_of"]

CONDITION = "条件表达式 (condition)"
LOOP_CARDINALITY = "循环次数 (loop cardinality)"
_PYTHON = ("python", "py")


def text_of(node: etree._Element) -> str:
    return (node.text or "").strip()


def _owner(node: etree._Element) -> etree._Element:
    parent = node.getparent()
    return parent if parent is not None else node


def not_empty(node: etree._Element, what: str) -> Iterator[Finding]:
    """An empty expression, reported at the element that holds it (a sequence flow, a timer)."""
    if not text_of(node):
        yield Finding(_owner(node), f"{what}为空 (empty expression)")


def runs_in_the_sandbox(ctx: Context, node: etree._Element, what: str) -> Iterator[Finding]:
    """The expression, translated from JUEL if it is JUEL, passes the sandbox's check; the runnable
    text replaces the node's text. An element without an id is reported at its parent's line."""
    text = text_of(node)
    if not text:
        return
    try:
        expression = translate_expression(text)
        check_expression(expression, ctx.function_names)
    except SandboxError as e:
        owner = _owner(node) if not node.get("id") else node
        yield Finding(owner, f"{what}无法在沙箱中运行 (refused): {text!r}: {e.message}")
        return
    node.text = expression


def condition_is_not_empty(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """conditionExpression / completionCondition"""
    yield from not_empty(node, CONDITION)


def condition_runs_in_the_sandbox(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """conditionExpression / completionCondition"""
    yield from runs_in_the_sandbox(ctx, node, CONDITION)


def loop_cardinality_runs_in_the_sandbox(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """loopCardinality: Camunda writes ``${5}`` or ``${nrOfLoops}``; SpiffWorkflow evaluates the text."""
    yield from runs_in_the_sandbox(ctx, node, LOOP_CARDINALITY)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def collection_is_a_variable(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """multiInstanceLoopCharacteristics: SpiffWorkflow takes camunda:collection (``${items}``) as the
    *name* of a variable; Camunda's JUEL is translated to that name, anything else is refused."""
    for attr in ("collection", "elementVariable"):
        text = (node.get(f"{{{CAMUNDA_NS}}}{attr}") or "").strip()
        if not text:
            continue
        name = translate_expression(text)
        if not _IDENTIFIER.match(name):
            yield Finding(_owner(node), f"camunda:{attr} {text!r} 必须是变量名 (must name a process variable, e.g. "
                                        "${items}: an expression cannot run here)")
        else:
            node.set(f"{{{CAMUNDA_NS}}}{attr}", name)


def io_mapping_is_not_ignored(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """extensionElements: camunda:inputOutput is not applied here; said, not ignored silently."""
    if node.find("camunda:inputOutput", NS) is not None:
        yield Finding(_owner(node), "camunda:inputOutput 输入/输出映射不会执行，变量按原样传递 (input/output "
                                    "mappings are not applied here: the task sees and sets process variables as "
                                    "they are)", warning=True)


def _script_format(node: etree._Element) -> str:
    return (node.get("scriptFormat") or "python").lower()


def _script(node: etree._Element) -> str:
    script = node.find("bpmn:script", NS)
    return (script.text or "") if script is not None else ""


def script_is_python(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """scriptTask: the sandbox runs Python only (no Groovy, no JavaScript)."""
    fmt = _script_format(node)
    if fmt not in _PYTHON:
        yield Finding(node, f"脚本语言 {fmt} 不受支持，只能用 Python (only python scripts run here)")


def script_is_not_empty(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """scriptTask"""
    if _script_format(node) in _PYTHON and not _script(node).strip():
        yield Finding(node, "脚本任务没有脚本 (the script task has no script)")


def script_is_safe(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """scriptTask: the same policy as at run time (no imports, no dunders, no bombs), run nothing."""
    script = _script(node)
    if _script_format(node) not in _PYTHON or not script.strip():
        return
    try:
        check_script(script)
    except SandboxError as e:
        yield Finding(node, f"脚本不安全或有误 (script refused): {e.message}")
