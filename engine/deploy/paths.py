"""Deploy-time rules that mirror the modeler's own lint rule pack (webforms/frontend/src/lint-rules.js,
"wuye/..."), so that a file deployed from the API or the CLI is refused for the same reasons, on
the same element ids, as the modeler marks them on the canvas:

- wuye/no-dangling-flow  -> ``flow_leads_on`` (a step that is reached also leads somewhere;
  a flow without both ends is ``structure.flow_connects_two_elements``);
- wuye/reaches-end       -> ``every_path_reaches_an_end``;
- wuye/deadline-penalty  -> ``deadline_names_a_penalty_row``.

Why refuse what SpiffWorkflow would run: a task with no way on ends its path silently (the case
looks finished while the procedure says it is not), and a loop with no way out never ends; both
are drawing mistakes. A deadline that names no penalty row would record violations of ¥0 that the
monthly report cannot explain."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.deploy.meta import NS, PROPERTIES
from engine.deploy.problems import Context, Finding

__all__ = ["CONTAINERS", "deadline_names_a_penalty_row", "every_path_reaches_an_end", "flow_leads_on"]

CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
_FLOW_NODES = frozenset({
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"})
# a path may stop at these without an end event (the modeler's rule says the same)
_MAY_STOP = frozenset({"endEvent", "boundaryEvent", "intermediateThrowEvent"})


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _nodes(container: etree._Element) -> dict[str, etree._Element]:
    return {ident: n for n in container if _local(n) in _FLOW_NODES and (ident := n.get("id"))}


def _flows(container: etree._Element) -> list[tuple[str, str]]:
    return [(f.get("sourceRef") or "", f.get("targetRef") or "") for f in container.findall("bpmn:sequenceFlow", NS)]


def flow_leads_on(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """Any flow node: one with an incoming flow and no outgoing one, other than an end, a boundary
    or a throw event (and steps of an ad-hoc subprocess, which need no flows at all)."""
    parent = node.getparent()
    if _local(node) not in _FLOW_NODES or _local(node) in _MAY_STOP or parent is None \
            or _local(parent) == "adHocSubProcess":
        return
    ident = node.get("id")
    flows = _flows(parent)
    if any(t == ident for _, t in flows) and not any(s == ident for s, _ in flows):
        yield Finding(node, "流程在此中断：有进入的连线，没有出去的连线 (the path stops here: the step has an incoming "
                            "flow and no outgoing one; connect it onwards or to an end event)")


def every_path_reaches_an_end(ctx: Context, container: etree._Element) -> Iterator[Finding]:
    """process, subProcess: from each start event, every step reached can still reach an end event
    (by its flows or a boundary event on it). The steps reported are those with a way on that leads
    to no end (a loop with no way out, a path into a step that stops)."""
    nodes = _nodes(container)
    following: dict[str, set[str]] = {i: set() for i in nodes}
    for source, target in _flows(container):
        if source in following and target in nodes:
            following[source].add(target)
    for ident, n in nodes.items():
        attached = n.get("attachedToRef")
        if _local(n) == "boundaryEvent" and attached in following:
            following[attached].add(ident)
    ends = {i for i, n in nodes.items() if _local(n) == "endEvent"}
    changed = True
    while changed:
        changed = False
        for ident, nexts in following.items():
            if ident not in ends and nexts & ends:
                ends.add(ident)
                changed = True
    seen = [i for i, n in nodes.items() if _local(n) == "startEvent"]
    queue = list(seen)
    while queue:
        for m in sorted(following[queue.pop(0)]):
            if m not in seen:
                seen.append(m)
                queue.append(m)
    has_out = {s for s, _ in _flows(container)}
    for ident in seen:
        if ident not in ends and ident in has_out:
            yield Finding(nodes[ident], "从这里走不到任何结束事件 (no path from here reaches an end event)")


def deadline_names_a_penalty_row(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """Any element with a ``deadline`` property: it names a row of the penalty table in force, unless
    the element states its own ``penalty`` amount (engine/rules/penalties.py: the timer's own wins)."""
    if ctx.penalty_rows is None or _local(node) not in _FLOW_NODES:
        return
    props = {p.get("name"): p.get("value") for p in node.iterfind(PROPERTIES, NS)}
    deadline = (props.get("deadline") or "").strip()
    if deadline and deadline not in ctx.penalty_rows and not (props.get("penalty") or "").strip():
        yield Finding(node, f"时限编号 {deadline} 不在扣罚表中 (deadline {deadline} names no row of the penalty "
                            "table: add the row to the table (规则表), or give the element its own penalty property)")

