"""deliver_message: a BPMN message (e.g. payment_received) to a waiting instance."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, NotFound, NotPermitted
from engine.rules.groups import SUPERVISORS
from engine.rules.permissions import SYSTEM, Actor
from engine.spiff import NotWaiting
from engine.step import runtime
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
    ready = [task_json(t, meta) for t in result.ready]
    return {"instance": instance.id, "status": instance.status, "ready": ready}
