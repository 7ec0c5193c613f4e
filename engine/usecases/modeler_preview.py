"""What the modeler shows while a process owner edits, computed by the server's own code: a user
task's form as staff will see it (the deployed-form reader of engine/deploy/meta.py over the
diagram being edited; the page renders it with the inbox's own field template), and when a timer
started now would fall due on the business calendar."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock, to_iso
from engine.deploy.meta import BPMN_NS, process_meta
from engine.deploy.safe_xml import parse_xml
from engine.deploy.structure import executable_processes
from engine.errors import BadInput
from engine.rules.fields import FieldInvalid
from engine.rules.functions import expression_functions
from engine.rules.permissions import Actor, may_model
from engine.spiff.timer_preview import TimerPreviewError, timer_due
from engine.step.rule_tables import rule_tables
from engine.step.runtime import CALENDAR
from engine.usecases.runner import reads

__all__ = ["modeler_context", "preview_form", "preview_timer"]

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")


@reads
def modeler_context(uow: Any, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """What the modeler's own lint rules check against: the groups that exist (id -> name), the
    functions timers and conditions may call, and the deadline ids of the penalty table."""
    may_model(actor)
    return {"groups": {g.id: g.name for g in uow.users.groups()},
            "functions": sorted(expression_functions(clock, CALENDAR)),
            "penalties": sorted(rule_tables(uow).penalties())}     # the version in force


@reads
def preview_form(uow: Any, *, actor: Actor, clock: Clock, xml: str, element: str) -> dict[str, Any]:
    """The form fields of ``element`` (a user task or start event) in the diagram ``xml``."""
    may_model(actor)
    tree = parse_xml(xml, "diagram")
    for proc in executable_processes(tree) or tree.findall(f"{{{BPMN_NS}}}process"):
        try:
            meta = process_meta(tree, proc)
        except ValueError as e:         # FieldInvalid, or a field id that is not (yet) an identifier
            text = e.key if isinstance(e, FieldInvalid) else str(e)
            raise BadInput(f"表单字段有误：{text.partition(' (')[0]} (invalid form field)") from None
        if any(node.get("id") == element for node in proc.iter(f"{{{BPMN_NS}}}startEvent")):
            return {"element": element, "name": meta.get("name") or element, "fields": meta["start_form"]}
        found = meta["elements"].get(element)
        if found is not None:
            return {"element": element, "name": found["name"], "fields": found.get("form", [])}
    raise BadInput(f"图中没有元素 {element} (no element {element} in the diagram)")


@reads
def preview_timer(uow: Any, *, actor: Actor, clock: Clock, expression: str, kind: str = "timeDate") -> dict[str, Any]:
    """``{"started", "due"}``: a timer with this expression, started now, falls due at ``due``."""
    may_model(actor)
    if kind not in TIMER_KINDS:
        raise BadInput(f"定时器类型应为 {', '.join(TIMER_KINDS)} (unknown timer kind {kind})")
    if not expression.strip():
        raise BadInput("定时器表达式为空 (the timer expression is empty)",
                       fields={"expression": {"key": "form.required"}})
    now = clock.now()
    try:
        due = timer_due(kind, expression, expression_functions(clock, CALENDAR), now)
    except TimerPreviewError as e:
        raise BadInput(f"定时器无法计算：{e} (the timer does not evaluate)",
                       fields={"expression": {"key": "timer.invalid", "message": str(e)}}) from None
    return {"started": to_iso(now), "due": to_iso(due), "kind": kind, "expression": expression}
