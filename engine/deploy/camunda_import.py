"""What a Camunda 7 model's import may change by itself, safely: a service or send task (or a
message throw event) implemented by a Java class, a bean (delegate expression), an expression or a
connector becomes an external task with a topic — the way out the deploy-time refusal names
(engine/deploy/structure.py). The same work is then done by a worker outside wuye that fetches the
topic (/engine-rest/external-task/fetchAndLock), as Camunda's own external tasks are.

Why only this: it keeps what the task is for (a system does it, not a person, and the process waits
for it) and invents nothing; the Java code simply moves behind a worker. Everything else Camunda
lets a model do that wuye cannot run (embedded forms, listeners, scripts in other languages, cron
timers, unknown groups) changes what people see or what happens, so it is left for a process owner
to decide: the import marks those elements, and deploy refuses them by line."""
from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from engine.deploy.meta import BPMN_NS, CAMUNDA_NS

__all__ = ["Translation", "translate_java_to_external"]

_C = f"{{{CAMUNDA_NS}}}"
_IMPLEMENTED_BY = (("class", "Java 类"), ("delegateExpression", "委托表达式"), ("expression", "表达式"))
_TASKS = ("serviceTask", "sendTask")


class Translation(NamedTuple):
    element: str
    message: str          # one line, Chinese: what was changed and what a worker must now do


def translate_java_to_external(root: etree._Element) -> list[Translation]:
    """Rewrite ``root`` in place; the changes made, one per element."""
    out: list[Translation] = []
    for local in _TASKS:
        for task in root.iter(f"{{{BPMN_NS}}}{local}"):
            found = _take_implementation(task, task)
            if found:
                topic = task.get(f"{_C}topic") or task.get("id") or local
                task.set(f"{_C}type", "external")
                task.set(f"{_C}topic", topic)
                out.append(Translation(task.get("id") or "", f"原由{found}实现，已改为外部任务（topic {topic}）："
                                                             "需要一个外部程序领取并完成它"))
    for definition in root.iter(f"{{{BPMN_NS}}}messageEventDefinition"):
        owner = definition.getparent()
        if owner is None or etree.QName(owner).localname not in ("intermediateThrowEvent", "endEvent"):
            continue
        found = _take_implementation(definition, owner)
        if found:
            topic = definition.get(f"{_C}topic") or owner.get("id") or "message"
            definition.set(f"{_C}type", "external")
            definition.set(f"{_C}topic", topic)
            out.append(Translation(owner.get("id") or "", f"消息原由{found}发送，已改为外部任务（topic {topic}）："
                                                          "需要一个外部程序领取并发送"))
    return out


def _take_implementation(node: etree._Element, task: etree._Element) -> str | None:
    """Remove a Java/bean/expression/connector implementation from ``node``; what it was, or None.
    A ``camunda:type`` other than external (e.g. "mail") is not ours to reinterpret: left alone."""
    if node.get(f"{_C}type") not in (None, "external"):
        return None
    said = None
    for attr, label in _IMPLEMENTED_BY:
        value = node.get(f"{_C}{attr}")
        if value:
            said = said or f"{label} {value}"
            del node.attrib[f"{_C}{attr}"]
    if said and node.get(f"{_C}resultVariable"):
        del node.attrib[f"{_C}resultVariable"]
    extensions = task.find(f"{{{BPMN_NS}}}extensionElements")
    connector = extensions.find(f"{_C}connector") if extensions is not None else None
    if connector is not None and extensions is not None:
        said = said or f"连接器 {connector.findtext(f'{_C}connectorId') or ''}".strip()
        extensions.remove(connector)
    return said
