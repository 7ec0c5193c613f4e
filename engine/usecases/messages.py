"""deliver_message: a BPMN message (e.g. payment_received) to a waiting instance; correlate_message:
the same, to the one running instance its correlation key names (engine/deploy/correlation.py)."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, Conflict, NotFound, NotPermitted
from engine.rules.functions import expression_functions
from engine.rules.groups import SUPERVISORS
from engine.rules.permissions import SYSTEM, Actor
from engine.spiff import NotWaiting
from engine.spiff.expressions import evaluate
from engine.step import runtime
from engine.step.calendar import calendar_for
from engine.usecases.results import task_json
from engine.usecases.runner import writes
from storage.uow import UnitOfWork


@writes
def deliver_message(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int, name: str,
                    data: dict[str, Any] | None) -> dict[str, Any]:
    if data is not None and not isinstance(data, dict):
        raise BadInput("data 必须是 JSON 对象 (data must be a JSON object)", fields={"data": {"key": "form.data"}})
    instance = runtime.get_instance(uow, instance_id, for_update=True)
    meta = instance.definition.meta
    lanes = set(meta.get("lanes") or {}) | set(meta.get("start_groups") or []) | SUPERVISORS | {"finance"}
    if actor is not SYSTEM and not (actor.working_groups & lanes):
        raise NotPermitted(f"{actor.name} 无权向此流程发送消息 (may not send messages to this process)")
    if name not in meta.get("messages", []):
        raise NotFound(f"流程 {instance.process_id} 没有消息 {name!r} (the process has no such message; "
                       f"it has: {', '.join(meta.get('messages', [])) or 'none'})")
    if instance.status in ("completed", "cancelled"):
        # SpiffWorkflow would still start a message-triggered event subprocess of a finished
        # workflow (EventManager.update_collaboration does not look at the workflow's state).
        raise NotFound(f"实例 {instance.id} 已结束 (the instance has ended: {instance.status})")
    payload = dict(data or {})
    uow.events.append(type="message_delivered", actor=actor.name, at=clock.now(), instance_id=instance.id,
                      data={"name": name, "data": payload})
    try:
        result = runtime.step(uow, instance, actor, clock, lambda r: r.send_message(name, payload))
    except NotWaiting:
        raise NotFound(f"实例 {instance.id} 当前没有等待消息 {name!r} (the instance is not waiting for it)") from None
    calendar = calendar_for(uow)
    ready = [task_json(t, meta, calendar) for t in result.ready]
    return {"instance": instance.id, "status": instance.status, "ready": ready}


@writes
def correlate_message(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str,
                      data: dict[str, Any] | None) -> dict[str, Any]:
    """The message goes to the running instance whose data gives the same correlation values as the
    message's payload (``data``); none or several is a clear refusal, never a guess."""
    if data is not None and not isinstance(data, dict):
        raise BadInput("data 必须是 JSON 对象 (data must be a JSON object)", fields={"data": {"key": "form.data"}})
    payload = dict(data or {})
    keyed = {d.key: d.meta["correlations"][name] for d in uow.definitions.latest_all("bpmn")
             if name in (d.meta.get("correlations") or {})}
    if not keyed:
        raise NotFound(f"没有流程按关联键接收消息 {name!r} (no process correlates this message by key: "
                       "send it to an instance: /api/instances/<id>/messages/<name>)")
    functions = expression_functions(clock, calendar_for(uow))
    matches = []
    for instance in uow.instances.running_of(keyed):
        expressions = instance.definition.meta.get("correlations", {}).get(name) or keyed[instance.process_id]
        wanted = _values(expressions, payload, functions, "data")
        if wanted == _values(expressions, instance.data or {}, functions, None):
            matches.append(instance.id)
    if not matches:
        raise NotFound(f"没有正在等待且关联键相符的实例 (no running instance has this correlation key for {name!r})")
    if len(matches) > 1:
        raise Conflict(f"关联键对应多个实例 {matches[:5]} (the key names several instances: send to one by id)")
    return deliver_message(uow, actor=actor, clock=clock, instance_id=matches[0], name=name, data=payload)


def _values(expressions: list[str], names: dict[str, Any], functions: dict[str, Any], field: str | None) -> list[Any]:
    """The key's values over ``names``; a payload that lacks one is bad input (naming ``field``),
    an instance whose data lacks one simply does not match."""
    out = []
    for expression in expressions:
        try:
            out.append(evaluate(expression, names, functions))
        except Exception as e:  # noqa: BLE001 -- simpleeval raises its own kinds: a name not there, a type
            if field is None:
                return [object()]
            raise BadInput(f"消息缺少关联键 {expression!r} (the message's data lacks its correlation key: {e})",
                           fields={field: {"key": "message.correlation"}}) from None
    return out
