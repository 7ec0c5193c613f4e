"""What deploy records of the events other engines' models throw and catch beyond messages: a
signal a process throws (sent by wuye's own worker to every instance waiting for it), and an error
boundary event that catches a BPMN error a worker reports (``/engine-rest/external-task/{id}/bpmnError``).

Also the built-in topics: names under ``wuye.`` are served by wuye's own in-process worker
(engine/usecases/builtin_topics.py), never fetched by a worker outside."""
from __future__ import annotations

from typing import TypedDict

from lxml import etree

from engine.deploy.meta import BPMN_NS, CAMUNDA_NS, NS

__all__ = ["BUILTIN_PREFIX", "LETTER_TOPIC", "REPORT_TOPIC", "SERVICE_TOPICS", "SIGNAL_TOPIC", "CaughtError",
           "caught_error", "thrown_signal"]

BUILTIN_PREFIX = "wuye."
SIGNAL_TOPIC = "wuye.signal"        # a signal throw or signal end event
LETTER_TOPIC = "wuye.letter"        # a service task that issues its ``letter`` property's letter
REPORT_TOPIC = "wuye.report"        # a service task that computes its ``report`` property's monthly figures
# the built-in topics a service or send task may name, and what it must carry for it
SERVICE_TOPICS = {LETTER_TOPIC: "letter", REPORT_TOPIC: "report"}


class CaughtError(TypedDict):
    """An error boundary event: the code it catches (None: every code) and where it puts the
    worker's code and message (camunda:errorCodeVariable / errorMessageVariable)."""
    code: str | None
    code_variable: str | None
    message_variable: str | None


def _definitions(node: etree._Element) -> etree._Element:
    return node.getroottree().getroot()


def thrown_signal(node: etree._Element) -> str | None:
    """The name of the signal a throw (or end) event throws, else None."""
    definition = node.find("bpmn:signalEventDefinition", NS)
    if definition is None:
        return None
    ref = definition.get("signalRef")
    for signal in _definitions(node).iter(f"{{{BPMN_NS}}}signal"):
        if signal.get("id") == ref:
            return signal.get("name") or ref
    return ref or node.get("id")


def caught_error(node: etree._Element) -> CaughtError | None:
    """What an error boundary event catches, else None."""
    definition = node.find("bpmn:errorEventDefinition", NS)
    if definition is None:
        return None
    ref, code = definition.get("errorRef"), None
    for error in _definitions(node).iter(f"{{{BPMN_NS}}}error"):
        if ref and error.get("id") == ref:
            code = (error.get("errorCode") or "").strip() or None
    return {"code": code,
            "code_variable": definition.get(f"{{{CAMUNDA_NS}}}errorCodeVariable") or None,
            "message_variable": definition.get(f"{{{CAMUNDA_NS}}}errorMessageVariable") or None}
