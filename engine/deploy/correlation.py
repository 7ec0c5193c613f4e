"""Message correlation by key: which waiting instance a message is for, decided by values.

Why not SpiffWorkflow's own: it evaluates a correlation property's retrieval expression on the
message payload *wrapper* (``{'payload': …, 'result_var': …}``) when a Camunda message is caught,
so every correlated catch failed at run time. Here the properties are read at deploy (stored in the
process's meta as message name -> expressions, each checked in the sandbox, JUEL translated) and
taken out of the copy SpiffWorkflow parses; a message sent without an instance id goes to the one
running instance whose data gives the same values as the message's payload does."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.deploy.meta import BPMN_NS, NS
from engine.deploy.problems import Context, Finding
from engine.spiff.expressions import check_expression
from engine.spiff.juel import translate_expression
from engine.spiff.limits import SandboxError

__all__ = ["correlations_run_in_the_sandbox", "drop_correlations", "message_correlations"]

_RETRIEVAL = "bpmn:correlationPropertyRetrievalExpression"


def _expression(retrieval: etree._Element) -> str:
    node = retrieval.find("bpmn:messagePath", NS)
    if node is None:
        node = retrieval.find("bpmn:formalExpression", NS)   # what bpmn.io writes
    return translate_expression((node.text or "").strip()) if node is not None else ""


def message_correlations(tree: etree._Element) -> dict[str, list[str]]:
    """message name -> the expressions (over its payload, and over an instance's data) that key it."""
    names = {m.get("id"): m.get("name") or m.get("id") for m in tree.iter(f"{{{BPMN_NS}}}message")}
    out: dict[str, list[str]] = {}
    for prop in tree.iter(f"{{{BPMN_NS}}}correlationProperty"):
        for retrieval in prop.iterfind(_RETRIEVAL, NS):
            name, expression = names.get(retrieval.get("messageRef")), _expression(retrieval)
            if name and expression:
                out.setdefault(name, []).append(expression)
    return out


def correlations_run_in_the_sandbox(ctx: Context, definitions: etree._Element) -> Iterator[Finding]:
    """definitions: each retrieval expression names a message and runs in the sandbox."""
    names = {m.get("id") for m in definitions.iter(f"{{{BPMN_NS}}}message")}
    for prop in definitions.iter(f"{{{BPMN_NS}}}correlationProperty"):
        for retrieval in prop.iterfind(_RETRIEVAL, NS):
            if retrieval.get("messageRef") not in names:
                yield Finding(retrieval, f"关联属性引用了不存在的消息 {retrieval.get('messageRef')!r} (the "
                                         "correlation property names no message of this file)")
                continue
            expression = _expression(retrieval)
            try:
                check_expression(expression, ctx.function_names)
            except SandboxError as e:
                yield Finding(retrieval, f"关联表达式无法在沙箱中运行 (correlation expression refused): "
                                         f"{expression!r}: {e.message}")


def drop_correlations(tree: etree._Element) -> None:
    """Out of the copy SpiffWorkflow parses (see the module's docstring)."""
    for node in list(tree.iter(f"{{{BPMN_NS}}}correlationProperty", f"{{{BPMN_NS}}}correlationKey")):
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
