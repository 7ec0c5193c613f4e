"""Deploy-time rules for what a diagram is made of: which processes run, and elements or
implementations wuye cannot execute (Java classes, beans, connectors, external workers).

Why: Camunda 7 models lean on Java (``camunda:class``, ``delegateExpression``, listeners) and on
elements SpiffWorkflow would parse but wuye cannot carry out. Each is refused with what to use
instead, rather than deploying a process that stops at that element."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.deploy.meta import BPMN_NS, CAMUNDA_NS, NS
from engine.deploy.problems import Context, Finding

__all__ = ["UNSUPPORTED", "decision_has_a_table", "decision_is_not_java", "element_is_supported",
           "executable_processes", "has_an_executable_process", "listeners_are_runnable", "runnable_processes"]

UNSUPPORTED = {"serviceTask": "服务任务 (service task)", "sendTask": "发送任务 (send task)",
               "complexGateway": "复杂网关 (complex gateway)"}
# Camunda implementations we cannot run: a Java class, a bean, an external worker, a connector.
_JAVA_ATTRS = ("class", "delegateExpression", "expression", "type")


def _is_executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "false").lower() == "true"


def executable_processes(tree: etree._Element) -> list[etree._Element]:
    return [p for p in tree.findall("bpmn:process", NS) if _is_executable(p)]


def runnable_processes(tree: etree._Element) -> list[etree._Element]:
    """The processes wuye will run: the executable ones and any process a call activity calls.
    The rest (a customer's pool in a collaboration, a documentation-only diagram) never runs, so the
    rules for running (known lanes, sandboxed expressions) are not applied to it."""
    called = {c.get("calledElement") for c in tree.iter(f"{{{BPMN_NS}}}callActivity")}
    return [p for p in tree.findall("bpmn:process", NS)
            if _is_executable(p) or p.get("id") in called]


def has_an_executable_process(ctx: Context, definitions: etree._Element) -> Iterator[Finding]:
    """definitions: a file of drawings only deploys nothing, which is never what was meant."""
    if not executable_processes(definitions):
        processes = definitions.findall("bpmn:process", NS)
        yield Finding(processes[0] if processes else definitions,
                      "没有可执行的流程 (no process has isExecutable=\"true\")")


def element_is_supported(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """serviceTask / sendTask / complexGateway"""
    yield Finding(node, f"{UNSUPPORTED[etree.QName(node).localname]} 无法在 wuye 中执行 (cannot run here: "
                        "use a script task or a user task)")


def decision_is_not_java(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """businessRuleTask: camunda:class"""
    if node.get(f"{{{CAMUNDA_NS}}}class"):
        yield Finding(node, "Java 决策实现无法执行 (a Java class cannot run here)")


def decision_has_a_table(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """businessRuleTask: a DMN decision (a Java implementation is refused by decision_is_not_java)."""
    if not node.get(f"{{{CAMUNDA_NS}}}class") and not node.get(f"{{{CAMUNDA_NS}}}decisionRef"):
        yield Finding(node, "决策任务没有指定决策表 (a business rule task needs camunda:decisionRef)")


def listeners_are_runnable(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """Any element: an execution listener is Java or a JUEL expression, which nothing here runs."""
    for listener in node.iterfind("bpmn:extensionElements/camunda:executionListener", NS):
        if any(listener.get(a) for a in _JAVA_ATTRS):
            yield Finding(listener, "执行监听器无法执行 (execution listeners with Java/expressions "
                                    "cannot run here)")
