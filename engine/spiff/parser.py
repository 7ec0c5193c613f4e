"""SpiffWorkflow's CamundaParser behind our own types: checked XML trees in, serialized specs or
problems out.

Why a seam: the parser raises its own exceptions (and lxml's, and plain KeyErrors on attributes it
assumes), reports no line for semantic errors (``ValidationException.line_number`` is ``''``), chokes
on comments inside a decision table, and in 3.2 hangs on a data object defined two levels up. Here
each of those becomes a ``ParseProblem`` naming the element whose line the deploy reports, and the
spec comes out as the JSON we store with the definition version."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.parser.node_parser import NodeParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import IntermediateThrowEvent, ManualTask, ReceiveTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaEventDefinitionParser,
    CamundaIntermediateThrowEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.spiff.specs import PassThroughTask
from engine.spiff.state import spec_to_dict

__all__ = ["ParseProblem", "SpecParser"]


def _resolve_data_object_ref(self: Any, ref: etree._Element | None) -> Any:  # SpiffWorkflow's (untyped) objects
    """SpiffWorkflow 3.2's version steps to ``self.process_parser.parent`` on every turn instead of
    ``current.parent``, so a data object defined two or more levels up hangs the deploy forever.
    The same search, walking up correctly (one documented patch, like the clock in engine/spiff/run.py)."""
    if ref is None:
        return None
    current = self.process_parser
    while current is not None:
        found = current.spec.data_objects.get(ref.get("dataObjectRef"))
        if found is not None:
            return found
        current = current.parent
    return None


NodeParser._resolve_data_object_ref = _resolve_data_object_ref


class _CamundaReceiveTaskParser(CamundaEventDefinitionParser, ReceiveTaskParser):  # untyped library's classes
    """SpiffWorkflow parses a receive task with the plain BPMN message class, which its Camunda
    serializer cannot store (``MessageEventDefinition is not JSON serializable``) and which a
    Camunda message never matches: here it gets the Camunda one, as catch events do."""

    def create_task(self) -> Any:
        return SendTaskParser.create_task(self)


_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def signal_caught_by_its_own_process(node: etree._Element) -> bool:
    """Whether the signal a throw event throws is caught inside the same process (a catch or
    boundary event on it): then SpiffWorkflow throws it at once within the instance, as the
    complaint's 投诉处理完成 ends its own C7 watcher in the same step, and no worker is involved."""
    definition = node.find(f"{{{_BPMN}}}signalEventDefinition")
    process = next((a for a in node.iterancestors() if a.tag == f"{{{_BPMN}}}process"), None)
    if definition is None or process is None:
        return False
    ref = definition.get("signalRef")
    catching = {f"{{{_BPMN}}}intermediateCatchEvent", f"{{{_BPMN}}}boundaryEvent"}
    for other in process.iter(f"{{{_BPMN}}}signalEventDefinition"):
        owner = other.getparent()
        if other.get("signalRef") == ref and owner is not None and owner is not node and str(owner.tag) in catching:
            return True
    return False


class _ThrowEventParser(CamundaIntermediateThrowEventParser):  # untyped library's class
    """A message throw event sends its message as Camunda 7 has it send one: through its
    implementation, here an external task (a worker of its topic sends it). SpiffWorkflow would
    evaluate a payload expression that Camunda models do not have, and fail at every start. A signal
    throw waits the same way for wuye's own worker, which broadcasts it to the other instances
    (SpiffWorkflow would only let the thrower's own workflow catch it) — unless its own process
    catches it, where SpiffWorkflow's own throw is what the model means."""

    def create_task(self) -> Any:
        if self.xpath("./bpmn:messageEventDefinition") or (
                self.xpath("./bpmn:signalEventDefinition") and not signal_caught_by_its_own_process(self.node)):
            return ManualTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        return super().create_task()


# tag -> (parser, spec): what wuye runs differently from SpiffWorkflow's defaults
_OVERRIDES = {
    full_tag("receiveTask"): (_CamundaReceiveTaskParser, ReceiveTask),
    full_tag("task"): (CamundaTaskParser, PassThroughTask),       # not work for a person, as in Camunda
    # a service or send task is an external task: it waits until a worker completes it
    full_tag("serviceTask"): (CamundaTaskParser, ManualTask),
    full_tag("sendTask"): (CamundaTaskParser, ManualTask),
    full_tag("intermediateThrowEvent"): (_ThrowEventParser, IntermediateThrowEvent),
}


class _Parser(CamundaParser):  # untyped library's class
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {**CamundaParser.OVERRIDE_PARSER_CLASSES, **_OVERRIDES}


@dataclass(frozen=True)
class ParseProblem:
    """What SpiffWorkflow refused, at ``node`` (whose line is reported): the element it names, or the
    file's root when it names none."""
    file: str
    node: etree._Element
    message: str


class SpecParser:
    """One CamundaParser for one deploy: every decision table first, then each diagram, then the
    spec of each of its processes. Problems are collected, never raised, so a deploy lists them all."""

    def __init__(self) -> None:
        self._parser = _Parser()
        self.problems: list[ParseProblem] = []

    def add_decisions(self, file: str, root: etree._Element) -> None:
        try:
            self._parser.add_dmn_xml(_without_comments(root), filename=file)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError, KeyError, ValueError) as e:
            self.problems.append(ParseProblem(file, root, f"DMN 无法解析 (cannot parse the decision table): "
                                                          f"{_said(e)}"))

    def add_diagram(self, file: str, tree: etree._Element) -> bool:
        """Whether SpiffWorkflow took the BPMN file (``tree`` as checked and made runnable)."""
        try:
            self._parser.add_bpmn_xml(tree, filename=file)
        except ValidationException as e:
            self.problems.append(ParseProblem(file, _node_for(tree, e), _said(e)))
            return False
        except (SpiffWorkflowException, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError,
                IndexError, NotImplementedError) as e:
            # SpiffWorkflow's parser reads attributes it assumes are there (e.g. camunda:decisionRef)
            self.problems.append(ParseProblem(file, tree, f"BPMN 无法解析 (cannot parse the file): {_said(e)}"))
            return False
        return True

    def process_spec(self, file: str, tree: etree._Element, process: etree._Element) -> dict[str, Any] | None:
        """The stored (JSON, hence ``Any``) form of ``process`` of a diagram added before, with its subprocesses and
        the decision tables it calls; None, with a problem, when SpiffWorkflow cannot build it."""
        try:
            spec = self._parser.get_spec(process.get("id"))
            subprocesses = self._parser.get_subprocess_specs(process.get("id"))
        except ValidationException as e:
            self.problems.append(ParseProblem(file, _node_for(tree, e), _said(e)))
            return None
        except (SpiffWorkflowException, KeyError, ValueError, TypeError, IndexError, AttributeError,
                NotImplementedError) as e:
            self.problems.append(ParseProblem(file, process, f"流程无法解析 (cannot parse the process): {_said(e)}"))
            return None
        try:
            return spec_to_dict(spec, subprocesses)
        except (TypeError, ValueError) as e:      # an element SpiffWorkflow parses but cannot store
            self.problems.append(ParseProblem(file, process, f"流程无法保存 (an element of it cannot be stored): "
                                                             f"{_said(e)}"))
            return None


_ELEMENT = re.compile(r"<Element [^>]*>")
_NAMESPACED = re.compile(r"\{[^}]*\}")
_WRAPPED = re.compile(r"^(?P<type>[A-Z]\w*(Error|Exception))\((?P<arg>.*)\)$", re.S)


def _said(e: Exception) -> str:
    """What SpiffWorkflow's exception says, in a refusal's words: no Python types, no ``<Element … at
    0x…>``, no ``{namespace}`` tags, no Spiff-internal notes; a KeyError names the attribute missing."""
    if isinstance(e, KeyError) and e.args:
        return f"缺少属性 {_NAMESPACED.sub('', str(e.args[0]))} (a required attribute is missing)"
    text = str(e.args[0]) if isinstance(e, ValidationException) and e.args else str(e)
    wrapped = _WRAPPED.match(text.strip())        # SpiffWorkflow's own "%r" of what it caught
    if wrapped and wrapped["type"] == "KeyError":
        name = _NAMESPACED.sub("", wrapped["arg"].strip(chr(39) + chr(34)))
        return f"缺少属性 {name} (a required attribute is missing)"
    if wrapped:
        return "SpiffWorkflow 无法读取此元素 (an element here cannot be read: check it in the modeler)"
    text = _NAMESPACED.sub("", _ELEMENT.sub("an element", text)).strip()
    if not text or isinstance(e, (IndexError, TypeError, AttributeError)):
        return "SpiffWorkflow 无法读取此元素 (an element here cannot be read: check it in the modeler)"
    return text.rstrip(".")


def _node_for(tree: etree._Element, e: ValidationException) -> etree._Element:
    """The element a ValidationException names (its own line_number is '' for semantic errors)."""
    if e.id:
        found = tree.xpath("//*[@id=$id]", id=e.id)
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return found[0]
    return tree


def _without_comments(root: etree._Element) -> etree._Element:
    """A copy without comments and processing instructions: SpiffWorkflow's DMN parser takes every
    child for an element (a comment node has no string tag) and crashes on them."""
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
