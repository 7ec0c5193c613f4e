"""Deploy-time rules for what a diagram is made of: which processes run, and elements or
implementations wuye cannot execute (Java classes, beans, connectors, external workers).

Why: Camunda 7 models lean on Java (``camunda:class``, ``delegateExpression``, listeners) and on
elements SpiffWorkflow would parse but wuye cannot carry out. Each is refused with what to use
instead, rather than deploying a process that stops at that element."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.deploy.event_meta import BUILTIN_PREFIX, SERVICE_TOPICS
from engine.deploy.meta import BPMN_NS, CAMUNDA_NS, NS, external_topic
from engine.deploy.problems import Context, Finding

__all__ = ["EXTERNAL", "UNSUPPORTED", "decision_has_a_table", "decision_is_not_java", "element_is_supported",
           "executable_processes", "flow_connects_two_elements", "has_an_executable_process", "listeners_are_runnable",
           "message_throw_is_external", "runnable_processes", "service_is_external"]

UNSUPPORTED = {"complexGateway": "复杂网关 (complex gateway)"}
# Service and send tasks run as external tasks: a worker fetches, does and completes them.
EXTERNAL = {"serviceTask": "服务任务 (service task)", "sendTask": "发送任务 (send task)"}
# Camunda implementations we cannot run: a Java class, a bean, an external worker, a connector.
_JAVA_ATTRS = ("class", "delegateExpression", "expression", "type")
_IMPLEMENTATIONS = {"class": "Java 类 (camunda:class)", "delegateExpression": "委托表达式 (camunda:delegateExpression)",
                    "expression": "表达式 (camunda:expression)"}


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
    """definitions: a file of drawings only deploys nothing, which is never what was meant. The
    modelers (Camunda Modeler, bpmn.io) leave ``isExecutable`` off or "false" unless it is ticked."""
    if not executable_processes(definitions):
        processes = definitions.findall("bpmn:process", NS)
        if not processes:
            yield Finding(definitions, "文件中没有流程 (the file has no bpmn:process: nothing to run)")
            return
        for process in processes:
            yield Finding(process, f"流程 {process.get('id')} 未标记为可执行，因此不会部署：在建模器中勾选“可执行”"
                                   "(Executable)，或在 bpmn:process 上写 isExecutable=\"true\" (the process is not "
                                   "marked executable: tick \"Executable\" in the modeler, or set "
                                   "isExecutable=\"true\")")


def flow_connects_two_elements(ctx: Context, flow: etree._Element) -> Iterator[Finding]:
    """sequenceFlow: both ends name an element of the same (sub)process, else part of the graph
    would be missing when it runs."""
    parent = flow.getparent()
    here = {c.get("id") for c in parent if isinstance(c.tag, str)} if parent is not None else set()
    for end in ("sourceRef", "targetRef"):
        ref = flow.get(end)
        if not ref:
            yield Finding(flow, f"顺序流缺少 {end} (the sequence flow has no {end}: connect both ends in the modeler)")
        elif ref not in here:
            yield Finding(flow, f"顺序流的 {end} {ref!r} 不是同一流程中的元素 (the sequence flow's {end} names no "
                                "element of its process or subprocess)")


def element_is_supported(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """complexGateway"""
    yield Finding(node, f"{UNSUPPORTED[etree.QName(node).localname]} 无法在 wuye 中执行 (cannot run here: "
                        "use an exclusive, inclusive or parallel gateway)")


def message_throw_is_external(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """messageEventDefinition of a throw or end event: sent by a worker, as a send task is."""
    owner = node.getparent()
    if owner is not None and etree.QName(owner).localname in ("intermediateThrowEvent", "endEvent"):
        what = "消息抛出事件 (message throw event)"
        topic = (node.get(f"{{{CAMUNDA_NS}}}topic") or "").strip() or owner.get("id") or ""
        for attr, label in _IMPLEMENTATIONS.items():
            if node.get(f"{{{CAMUNDA_NS}}}{attr}"):
                yield Finding(owner, f"{what}的{label}无法在 wuye 中执行：请改为外部任务 (cannot run here: use an "
                                     f"external task with topic {topic}: camunda:type=\"external\" "
                                     f"camunda:topic=\"{topic}\" on its messageEventDefinition)")


def service_is_external(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """serviceTask / sendTask: a Java class, a bean or a connector cannot run here; the same work
    can, by a worker outside wuye that fetches it as an external task."""
    what = EXTERNAL[etree.QName(node).localname]
    topic = external_topic(node)
    for attr, label in _IMPLEMENTATIONS.items():
        if node.get(f"{{{CAMUNDA_NS}}}{attr}"):
            yield Finding(node, f"{what}的{label}无法在 wuye 中执行：请改为外部任务 (cannot run here: use an external "
                                f"task with topic {topic}: camunda:type=\"external\" camunda:topic=\"{topic}\")")
    if node.find("bpmn:extensionElements/camunda:connector", NS) is not None:
        yield Finding(node, f"{what}的连接器 (camunda:connector) 无法在 wuye 中执行：请改为外部任务 (cannot run here: "
                            f"use an external task with topic {topic}: camunda:type=\"external\" "
                            f"camunda:topic=\"{topic}\")")
    if topic.startswith(BUILTIN_PREFIX):
        yield from _builtin_topic(node, topic)
    kind = node.get(f"{{{CAMUNDA_NS}}}type")
    if kind and kind != "external":
        yield Finding(node, f"{what}的类型 {kind!r} 无法在 wuye 中执行 (camunda:type {kind!r} cannot run here: use "
                            f"an external task with topic {topic}: camunda:type=\"external\")")


def _builtin_topic(node: etree._Element, topic: str) -> Iterator[Finding]:
    """A topic under ``wuye.`` is wuye's own worker's (engine/usecases/builtin_topics.py): only the
    ones it serves, each with the property it needs."""
    needs = SERVICE_TOPICS.get(topic)
    if needs is None:
        yield Finding(node, f"{topic} 不是 wuye 的内置主题 (topics under {BUILTIN_PREFIX} are wuye's own; the built-in "
                            f"ones a task may name: {', '.join(sorted(SERVICE_TOPICS))})")
    elif not any(p.get("name") == needs and (p.get("value") or "").strip()
                 for p in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)):
        yield Finding(node, f"内置主题 {topic} 需要属性 {needs} (the built-in topic {topic} needs the camunda:property "
                            f"{needs}, e.g. {needs}=reminder)")


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
