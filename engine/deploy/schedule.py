"""A process's timer start event, read at deploy as its *schedule* (engine/rules/schedule.py) and
taken out of the copy SpiffWorkflow parses.

Why: in SpiffWorkflow a timer start event waits inside one instance, and a cycle fires inside it
again and again. wuye's timer loop starts one new instance per due moment instead
(engine/usecases/scheduled_starts.py), so each instance it starts begins at once: the start event
stays (its id, its lane, its name in the history), only its timer goes to the process's meta:

``meta["schedule"] = {"element", "kind", "text", "catch_up"}``

``catch_up`` is the process's (or the start event's) extension property ``catchUp``: ``each`` (the
default: after downtime, one instance for every moment missed) or ``one`` (one instance for all of
them, the newest)."""
from __future__ import annotations

from typing import TypedDict

from lxml import etree

from engine.deploy.meta import BPMN_NS, NS, PROPERTIES
from engine.deploy.problems import Context, Finding
from engine.deploy.structure import runnable_processes
from engine.deploy.timers import timer_is_not_cron, timer_is_not_empty
from engine.rules.schedule import CATCH_UP, ScheduleInvalid, parse_schedule

__all__ = ["ScheduleJson", "take_start_timers"]

CATCH_UP_PROPERTY = "catchUp"
_NO_CONTEXT = Context(frozenset(), frozenset())      # the timer rules read nothing of it


class ScheduleJson(TypedDict):
    element: str        # the start event's id
    kind: str           # timeDate | timeCycle
    text: str           # as written in the BPMN
    catch_up: str       # each | one


def _property(node: etree._Element, name: str) -> str | None:
    for p in node.iterfind(PROPERTIES, NS):
        if p.get("name") == name:
            return (p.get("value") or "").strip()
    return None


def take_start_timers(tree: etree._Element) -> tuple[dict[str, ScheduleJson], list[Finding]]:
    """process id -> its schedule, for every runnable process with a timer start event, and the
    problems found; each such start event loses its timer in ``tree`` (the runnable copy)."""
    schedules: dict[str, ScheduleJson] = {}
    findings: list[Finding] = []
    for process in runnable_processes(tree):
        starts = [s for s in process.iterfind("bpmn:startEvent", NS)
                  if s.find("bpmn:timerEventDefinition", NS) is not None]
        if len(starts) > 1:
            findings.append(Finding(starts[1], "一个流程只能有一个计划启动 (a process may have one timer start event)"))
        for start in starts[:1]:
            definition = start.find("bpmn:timerEventDefinition", NS)
            assert definition is not None
            found = _schedule(process, start, definition, findings)
            if found is not None:
                schedules[process.get("id") or ""] = found
            start.remove(definition)
    return schedules, findings


def _schedule(process: etree._Element, start: etree._Element, definition: etree._Element,
              findings: list[Finding]) -> ScheduleJson | None:
    timers = [c for c in definition if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN_NS]
    if len(timers) != 1:
        findings.append(Finding(definition, "计划启动须有一个 timeDate 或 timeCycle (a timer start event needs "
                                            "exactly one timeDate or timeCycle)"))
        return None
    node = timers[0]
    kind, text = etree.QName(node).localname, (node.text or "").strip()
    said = [*timer_is_not_empty(_NO_CONTEXT, node), *timer_is_not_cron(_NO_CONTEXT, node)]   # as any timer
    if said:
        findings.extend(said)
        return None
    try:
        parse_schedule(kind, text)
    except ScheduleInvalid as e:
        findings.append(Finding(node, f"计划启动 (scheduled start): {e}"))
        return None
    catch_up = _property(start, CATCH_UP_PROPERTY) or _property(process, CATCH_UP_PROPERTY) or "each"
    if catch_up not in CATCH_UP:
        findings.append(Finding(start, f"catchUp 应为 each 或 one (catchUp must be each or one, got {catch_up!r})"))
        return None
    return {"element": start.get("id") or "", "kind": kind, "text": text, "catch_up": catch_up}
