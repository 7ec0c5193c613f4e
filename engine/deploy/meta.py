"""What the rest of wuye reads about a deployed process, taken from its BPMN XML: lanes, candidate
groups, forms (``camunda:formData``), extension properties, documentation, messages, labels.

Plain lxml over the file as deployed; no SpiffWorkflow here (its start events do not even parse
forms), so one reader serves user tasks and start events alike."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NotRequired, TypedDict

from lxml import etree

from engine.rules.case import CaseSpec, case_spec
from engine.rules.field_checks import field_checks
from engine.rules.fields import (
    CONSTRAINTS,
    FIELD_TYPES,
    NOW,
    DataLabel,
    FieldInvalid,
    FieldJson,
    FormField,
    Option,
    data_labels,
)
from engine.rules.register_file import start_lookup
from engine.spiff.parser import signal_caught_by_its_own_process

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
PROPERTIES = "bpmn:extensionElements/camunda:properties/camunda:property"
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# the widgets a field may ask for with camunda:property id="widget": a paragraph of text
# (textarea), a day with or without its time; every other type has one widget of its own
WIDGETS = {"string": ("text", "textarea"), "date": ("date", "datetime")}


# Ids and names come from lxml's ``get``, hence ``str | None`` wherever no rule has required them.
class ElementJson(TypedDict):
    """One flow element of a deployed process as its meta stores it (``process_meta``)."""
    type: str                                   # BPMN local name: userTask, boundaryEvent, ...
    name: str                                   # its name, else its id
    lane: str | None                            # innermost lane id
    groups: list[str]                           # candidate groups and the lane, sorted
    assignee: str | None
    properties: dict[str | None, str | None]    # camunda:property name -> value
    documentation: str
    form: NotRequired[list[FieldJson]]          # camunda:formData, when it has fields
    topic: NotRequired[str]                     # external (service and send) tasks only
    attached_to: NotRequired[str | None]        # boundary events only
    interrupting: NotRequired[bool]             # boundary events only
    signal: NotRequired[str]                    # a signal throw: the signal's name (topic wuye.signal)
    error: NotRequired[Any]                     # an error boundary event: event_meta.CaughtError


class ProcessMetaJson(TypedDict):
    """What deploy stores as a process's meta (the deploy use case adds ``decisions``: decision id ->
    content hash of the table it was built with). Readers get it back as JSON from the definition."""
    name: str | None
    lanes: dict[str | None, str | None]         # lane id -> its name, else its id
    start_groups: list[str]
    start_form: list[FieldJson]
    elements: dict[str, ElementJson]            # element id -> element
    messages: list[str]                         # the names of the messages it waits for
    labels: dict[str, DataLabel]                # variable -> what people read for it
    case: NotRequired[CaseSpec]                 # the case summary's variables (engine/rules/case.py)
    register: NotRequired[dict[str, Any]]       # the start form's room lookup (register_file.start_lookup)
    checks: NotRequired[dict[str, str]]         # start-form field -> the function that must accept it
    correlations: NotRequired[dict[str, list[str]]]  # message name -> the expressions that key it
    calls: NotRequired[dict[str, int | None]]   # called process id -> pinned version, None: the latest
                                                # (a "deployment" binding is not listed: never rebuilt)
    signals: NotRequired[list[str]]             # the names of the signals it waits for (a catch or boundary event)
    schedule: NotRequired[Any]                  # its timer start event's schedule (engine/deploy/schedule.py)


# the BPMN elements a worker outside wuye does (engine/usecases/external_tasks.py)
EXTERNAL_TASKS = ("serviceTask", "sendTask")


def external_topic(node: etree._Element) -> str:
    """The topic a worker fetches this service/send task under: its camunda:topic, else its id."""
    return (node.get(f"{{{CAMUNDA_NS}}}topic") or "").strip() or (node.get("id") or "")


def split_names(value: str | None) -> set[str]:
    return {g.strip() for g in (value or "").split(",") if g.strip()}


def lane_of(proc: etree._Element) -> dict[str, str | None]:
    """flow node id -> lane id (innermost lane wins)."""
    out: dict[str, str | None] = {}
    for lane in proc.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            out[(ref.text or "").strip()] = lane.get("id")
    return out


def read_field(ff: etree._Element) -> FormField:
    """One camunda:formField -> FormField, with its default converted; ValueError names the problem."""
    fid, ftype = ff.get("id"), ff.get("type") or "string"
    if not fid or not IDENTIFIER.fullmatch(fid):
        raise ValueError(f"字段 id {fid!r} 必须是字母开头的标识符 (field id must be an identifier)")
    if ftype not in FIELD_TYPES:
        raise ValueError(f"{fid}: 未知类型 {ftype!r} (unknown type; allowed: {', '.join(FIELD_TYPES)})")
    limits: dict[str, Any] = {}     # FormField's keywords of three types (int lengths, float bounds, flags)
    for c in ff.iterfind("camunda:validation/camunda:constraint", NS):
        name, config = c.get("name"), c.get("config")
        if name not in CONSTRAINTS:
            raise ValueError(f"{fid}: 未知约束 {name!r} (unknown constraint; allowed: {', '.join(CONSTRAINTS)})")
        if name in ("minlength", "maxlength"):
            limits[name] = _number(fid, name, config, int)
        elif name == "min" and ftype == "date" and (config or "").strip() == "now":
            limits["not_past"] = True          # an appointment: not before the moment it is entered
        elif name == "max" and ftype == "date" and (config or "").strip() == "now":
            limits["not_future"] = True        # a day that has happened: not after the day it is entered
        elif name == "min" and ftype in ("date", "long", "double") and IDENTIFIER.fullmatch((config or "").strip()):
            limits["after"] = (config or "").strip()    # not before / below that field or variable
        elif name == "required" and IDENTIFIER.fullmatch((config or "").strip()):
            limits["required_if"] = (config or "").strip()    # required when that field is true
        elif name in ("min", "max"):
            limits[name] = _number(fid, name, config, float)
        else:
            limits[name] = True
    options = tuple(Option(oid, v.get("name") or oid) for v in ff.iterfind("camunda:value", NS) if (oid := v.get("id")))
    if ftype == "enum" and not options:
        raise ValueError(f"{fid}: 枚举字段没有选项 (an enum needs camunda:value options)")
    props = {pid: p.get("value") for p in ff.iterfind("camunda:properties/camunda:property", NS)
             if (pid := p.get("id"))}
    if "widget" in props and props["widget"] not in WIDGETS.get(ftype, ()):
        allowed = ", ".join(WIDGETS.get(ftype, ())) or "none"
        raise ValueError(f"{fid}: 控件 {props['widget']!r} 不适用于 {ftype} 字段 "
                         f"(widget property for a {ftype} field; allowed: {allowed})")
    field = FormField(id=fid, type=ftype, label=ff.get("label") or fid, options=options, properties=props,
                      required=limits.pop("required", False), readonly=limits.pop("readonly", False), **limits)
    raw = ff.get("defaultValue")
    if ftype == "date" and raw is not None and raw.strip() in ("now", "${now()}", "now()"):
        return FormField(**{**field.__dict__, "default": NOW})
    if raw is not None and raw != "":
        try:
            default = field.convert(raw)
        except FieldInvalid as e:
            raise ValueError(f"{fid}: 默认值 {raw!r} 不符合类型 {ftype} ({e.key})") from None
        field = FormField(**{**field.__dict__, "default": default})
    return field


def _number(fid: str, name: str, config: str | None, kind: Callable[[Any], float]) -> float:
    """``kind`` (int or float) is given ``config`` as it is, None too: it refuses that with TypeError."""
    try:
        return kind(config)
    except (TypeError, ValueError):
        raise ValueError(f"{fid}: 约束 {name} 需要数字 (constraint {name} needs a number, got {config!r})") from None


def process_meta(tree: etree._Element, proc: etree._Element) -> ProcessMetaJson:
    lanes = lane_of(proc)
    lane_names = {lane.get("id"): (lane.get("name") or lane.get("id")) for lane in proc.iter(f"{{{BPMN_NS}}}lane")}
    elements: dict[str, ElementJson] = {}
    start_form: list[FieldJson] = []
    messages = {m.get("id"): m.get("name") for m in tree.findall("bpmn:message", NS)}
    caught = []
    for node in proc.iter():
        ident = node.get("id") if isinstance(node.tag, str) else None
        if not ident or etree.QName(node).namespace != BPMN_NS:
            continue
        local = etree.QName(node).localname
        if local in ("lane", "laneSet", "sequenceFlow", "process", "textAnnotation", "association",
                     "dataObject", "dataObjectReference", "dataStoreReference"):
            continue
        form = [read_field(ff).to_json()
                for ff in node.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NS)]
        lane = lanes.get(ident)
        groups = sorted(split_names(node.get(f"{{{CAMUNDA_NS}}}candidateGroups")) | ({lane} if lane else set()))
        doc = node.find("bpmn:documentation", NS)
        el: ElementJson = {"type": local, "name": node.get("name") or ident, "lane": lane, "groups": groups,
                           "assignee": node.get(f"{{{CAMUNDA_NS}}}assignee"),
                           "properties": {p.get("name"): p.get("value") for p in node.iterfind(PROPERTIES, NS)},
                           "documentation": (doc.text or "").strip() if doc is not None else ""}
        if form:
            el["form"] = form
        if local in EXTERNAL_TASKS:
            el["topic"] = external_topic(node)
        thrown = node.find("bpmn:messageEventDefinition", NS) if local == "intermediateThrowEvent" else None
        if thrown is not None:          # sent by a worker of its topic: the message's name unless it says one
            el["topic"] = ((thrown.get(f"{{{CAMUNDA_NS}}}topic") or "").strip()
                           or messages.get(thrown.get("messageRef")) or ident)
        _event_meta(el, local, node)
        if local == "boundaryEvent":
            el["attached_to"] = node.get("attachedToRef")
            el["interrupting"] = node.get("cancelActivity", "true").lower() != "false"
        elements[ident] = el
        if local == "startEvent" and node.getparent() is proc and form:
            start_form = form
        refs = [md.get("messageRef") for md in node.iterfind("bpmn:messageEventDefinition", NS)]
        if local == "receiveTask":
            refs.append(node.get("messageRef"))      # a receive task names its message itself
        for ref in refs:
            name = messages.get(ref) or ref
            if name and local in ("intermediateCatchEvent", "boundaryEvent", "startEvent", "receiveTask"):
                caught.append(name)
    starters = sorted(split_names(proc.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups")))
    if not starters:  # a deployed process's lanes all have ids: each is a known group
        start = next(proc.iterfind("bpmn:startEvent", NS), None)
        start_id = start.get("id") if start is not None else None
        start_lane = lanes.get(start_id) if start_id else None
        starters = [start_lane] if start_lane else sorted(lane for lane in lane_names if lane)
    # a property without a name says nothing (and must not break the deploy)
    process_properties = {name: p.get("value") or "" for p in proc.iterfind(PROPERTIES, NS) if (name := p.get("name"))}
    labels = data_labels([start_form] + [el.get("form", []) for el in elements.values()], process_properties)
    meta: ProcessMetaJson = {"name": proc.get("name") or proc.get("id"), "lanes": lane_names,
                             "start_groups": starters, "start_form": start_form, "elements": elements,
                             "messages": sorted(set(caught)), "labels": labels,
                             "case": case_spec(process_properties), "register": start_lookup(process_properties)}
    signals = caught_signals(tree, proc)
    if signals:
        meta["signals"] = signals
    checks = field_checks(process_properties)
    if checks:
        meta["checks"] = checks
    return meta


def _event_meta(el: ElementJson, local: str, node: etree._Element) -> None:
    """A signal throw is sent by wuye's own worker (built-in topic wuye.signal) unless its own process
    catches it (then SpiffWorkflow throws it within the instance: engine/spiff/parser.py); an error boundary
    event records the code it catches (engine/deploy/event_meta.py)."""
    from engine.deploy.event_meta import SIGNAL_TOPIC, caught_error, thrown_signal  # (it imports this module)
    signal = thrown_signal(node) if local == "intermediateThrowEvent" else None
    if signal is not None and not signal_caught_by_its_own_process(node):
        el["topic"], el["signal"] = SIGNAL_TOPIC, signal
    error = caught_error(node) if local == "boundaryEvent" else None
    if error is not None:
        el["error"] = error


def caught_signals(tree: etree._Element, proc: etree._Element) -> list[str]:
    """The names of the signals the process waits for: a signal catch or boundary event (a signal
    start event would start instances, which a broadcast does not do)."""
    names = {s.get("id"): s.get("name") or s.get("id") for s in tree.iter(f"{{{BPMN_NS}}}signal")}
    found = set()
    for local in ("intermediateCatchEvent", "boundaryEvent"):
        for node in proc.iter(f"{{{BPMN_NS}}}{local}"):
            for definition in node.iterfind("bpmn:signalEventDefinition", NS):
                name = names.get(definition.get("signalRef"))
                if name:
                    found.add(name)
    return sorted(found)
