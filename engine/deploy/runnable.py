"""Rewrites of the copy of a diagram that SpiffWorkflow parses, so that it runs the model as the
modeler meant it (the source is stored as it was sent).

Why: SpiffWorkflow reads only what it can find by id, and runs what it does not understand
straight through. Camunda's own test models have sequence flows without an ``id`` (the schema
allows it), which SpiffWorkflow's parser never sees: an instance would finish at its start event.
A receive task without a message would not wait at all. Each such gap is closed here, before any
rule looks at the tree, so the rules and the parser see the same complete graph."""
from __future__ import annotations

import re

from lxml import etree

from engine.deploy.meta import BPMN_NS, NS

__all__ = ["RECEIVE_MESSAGE_PREFIX", "SPLIT_PREFIX", "give_flows_ids", "give_receive_tasks_a_message", "make_runnable",
           "message_end_events_throw_first", "split_where_activities_fork"]

RECEIVE_MESSAGE_PREFIX = "wuye_receive_"
SPLIT_PREFIX = "wuye_split_"
# flow nodes SpiffWorkflow lets have several outgoing flows (their own semantics)
_FORKS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
          "startEvent"}
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]")


def make_runnable(tree: etree._Element) -> None:
    """Every rewrite, in order (ids first: the others may name flows)."""
    give_flows_ids(tree)
    give_receive_tasks_a_message(tree)
    message_end_events_throw_first(tree)
    split_where_activities_fork(tree)


def _taken(tree: etree._Element) -> set[str]:
    return {i for node in tree.iter() if isinstance(node.tag, str) and (i := node.get("id"))}


def give_flows_ids(tree: etree._Element) -> None:
    """``flow_<source>_<target>`` (``_2``, ``_3`` for parallel flows): stable, so the same file
    deployed again gets the same ids, and readable in history and refusals."""
    taken = _taken(tree)
    for flow in tree.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        if flow.get("id"):
            continue
        base = _NOT_ID.sub("_", f"flow_{flow.get('sourceRef') or 'x'}_{flow.get('targetRef') or 'x'}")
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}_{n}"
        flow.set("id", ident)
        taken.add(ident)


def give_receive_tasks_a_message(tree: etree._Element) -> None:
    """A receive task that names no message waits, as in Camunda, for a message named after the
    task's id (``wuye message <task id> --instance N``, or the API's messages route)."""
    definitions = tree if etree.QName(tree).localname == "definitions" else tree.getroottree().getroot()
    taken = _taken(tree)
    for task in tree.iter(f"{{{BPMN_NS}}}receiveTask"):
        ident = task.get("id")
        if not ident or task.get("messageRef") or task.find("bpmn:messageEventDefinition", NS) is not None:
            continue
        message_id = f"{RECEIVE_MESSAGE_PREFIX}{ident}"
        if message_id not in taken:
            message = etree.Element(f"{{{BPMN_NS}}}message", id=message_id, name=ident)
            definitions.insert(0, message)
            taken.add(message_id)
        task.set("messageRef", message_id)


def split_where_activities_fork(tree: etree._Element) -> None:
    """An activity or event with several outgoing flows is, as the BPMN spec says, an implicit split:
    every unconditional flow is taken (parallel), and conditional ones where their condition holds
    (inclusive). SpiffWorkflow refuses the shape, so the split becomes an explicit gateway just after
    the node: parallel when no flow has a condition, else inclusive, keeping the node's default and
    with ``True`` on the unconditional flows (an inclusive gateway needs a condition on each)."""
    for process in tree.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
        flows = process.findall("bpmn:sequenceFlow", NS)
        by_source: dict[str, list[etree._Element]] = {}
        for flow in flows:
            by_source.setdefault(flow.get("sourceRef") or "", []).append(flow)
        for node in list(process):
            ident = node.get("id") if isinstance(node.tag, str) else None
            out = by_source.get(ident or "", [])
            if not ident or len(out) < 2 or etree.QName(node).localname in _FORKS:
                continue
            conditional = any(f.find("bpmn:conditionExpression", NS) is not None for f in out)
            gateway = etree.SubElement(process, f"{{{BPMN_NS}}}{'inclusive' if conditional else 'parallel'}Gateway",
                                       id=f"{SPLIT_PREFIX}{ident}")
            if conditional and node.get("default"):
                gateway.set("default", node.attrib.pop("default"))
            for flow in out:
                flow.set("sourceRef", gateway.get("id") or "")
                if conditional and flow.find("bpmn:conditionExpression", NS) is None \
                        and flow.get("id") != gateway.get("default"):
                    always = etree.SubElement(flow, f"{{{BPMN_NS}}}conditionExpression")
                    always.text = "True"             # an unconditional flow of an activity is always taken
            etree.SubElement(process, f"{{{BPMN_NS}}}sequenceFlow", id=f"{SPLIT_PREFIX}{ident}_in",
                             sourceRef=ident, targetRef=gateway.get("id") or "")


def message_end_events_throw_first(tree: etree._Element) -> None:
    """A message (or signal) end event sends its message, as a message throw event does, through a
    worker (an external task: engine/spiff/parser.py; a signal through wuye's own worker), and then
    ends: the same element id throws, and a plain end event ``<id>_end`` after it ends the path.
    (SpiffWorkflow 3.2 parses a signal end event as a plain end event: its signal would be lost.)"""
    for end in list(tree.iter(f"{{{BPMN_NS}}}endEvent")):
        ident = end.get("id")
        parent = end.getparent()
        if not ident or parent is None or (end.find("bpmn:messageEventDefinition", NS) is None
                                           and end.find("bpmn:signalEventDefinition", NS) is None):
            continue
        end.tag = f"{{{BPMN_NS}}}intermediateThrowEvent"
        etree.SubElement(parent, f"{{{BPMN_NS}}}endEvent", id=f"{ident}_end")
        etree.SubElement(parent, f"{{{BPMN_NS}}}sequenceFlow", id=f"{ident}_to_end", sourceRef=ident,
                         targetRef=f"{ident}_end")
