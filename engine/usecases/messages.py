"""deliver_message: a BPMN message (e.g. payment_received) to a waiting instance; correlate_message:
the same, to the one running instance its correlation key names (engine/deploy/correlation.py);
deliver_thrown_message: the built-in worker's work for a message one instance throws;
broadcast_signal: a BPMN signal to every instance waiting for it, from the API or thrown by a
process (broadcast_thrown_signal, the built-in worker's work). The built-in worker itself is
engine/usecases/builtin_topics.py."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, Conflict, NotFound, NotPermitted
from engine.rules import payments
from engine.rules.functions import expression_functions
from engine.rules.groups import SUPERVISORS
from engine.rules.permissions import SYSTEM, Actor
from engine.spiff import NotWaiting
from engine.spiff.expressions import evaluate
from engine.step import runtime
from engine.step.calendar import calendar_for
from engine.usecases.external_tasks import record_failure
from engine.usecases.results import task_json
from engine.usecases.runner import writes
from storage.models import ExternalTask
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
    payments.check_payment(name, payload, instance.data or {}, clock.now())
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
    target = _correlated(uow, clock, name, payload, _correlating(uow, name))
    return deliver_message(uow, actor=actor, clock=clock, instance_id=target, name=name, data=payload)


def _correlating(uow: UnitOfWork, name: str) -> dict[str, list[str]]:
    """process id -> the correlation key's expressions, of the deployed processes that correlate
    message ``name`` by key."""
    keyed = {d.key: d.meta["correlations"][name] for d in uow.definitions.latest_all("bpmn")
             if name in (d.meta.get("correlations") or {})}
    if not keyed:
        raise NotFound(f"没有流程按关联键接收消息 {name!r} (no process correlates this message by key: "
                       "send it to an instance: /api/instances/<id>/messages/<name>)")
    return keyed


def _correlated(uow: UnitOfWork, clock: Clock, name: str, payload: dict[str, Any],
                keyed: dict[str, list[str]], *, field: str = "data") -> int:
    """The one running instance whose data gives the same correlation values as ``payload``."""
    functions = expression_functions(clock, calendar_for(uow))
    matches = []
    for instance in uow.instances.running_of(keyed):
        expressions = instance.definition.meta.get("correlations", {}).get(name) or keyed[instance.process_id]
        wanted = _values(expressions, payload, functions, field)
        if wanted == _values(expressions, instance.data or {}, functions, None):
            matches.append(instance.id)
    if not matches:
        raise NotFound(f"没有正在等待且关联键相符的实例 (no running instance has this correlation key for {name!r})")
    if len(matches) > 1:
        raise Conflict(f"关联键对应多个实例 {matches[:5]} (the key names several instances: send to one by id)")
    return matches[0]


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


# -- messages thrown by one instance, delivered to another ---------------------------------------------

MESSAGES_WORKER = "wuye-messages"      # the built-in worker's name in the histories


def correlated_topics(uow: UnitOfWork) -> list[str]:
    """The messages a deployed process correlates by key: a throw of one is wuye's own work."""
    return sorted({n for d in uow.definitions.latest_all("bpmn") for n in (d.meta.get("correlations") or {})})


@writes
def deliver_thrown_message(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict[str, Any] | None:
    """The built-in worker of message throws: a throw whose message a deployed process correlates by
    key is not left for a worker outside wuye — the message goes to the one running instance of that
    process with the same key, computed from the thrower's data as the throw left it, and the throw
    completes; both histories say so. When no instance or several match, the throw becomes an
    incident an admin sees (``GET /engine-rest/incident``) and can retry once the receiver waits (by
    setting its retries). Both instances are locked at the start, the lower id first, so two throws
    crossing between the same two instances on two servers wait for each other instead of deadlocking.
    None: a worker outside wuye holds the throw, or it is done."""
    found = uow.external_tasks.get(str(task_id))
    if found is None or found.state != "open" or found.topic not in correlated_topics(uow):
        return None
    payload = dict(found.variables or {})              # the thrower's data as the throw left it
    try:
        target: int | None = _correlated(uow, clock, found.topic, payload, _correlating(uow, found.topic),
                                         field=found.activity_id)
        refused = None
    except (NotFound, Conflict, BadInput) as e:
        target, refused = None, e.message
    for instance_id in sorted({found.instance_id, target or found.instance_id}):
        runtime.get_instance(uow, instance_id, for_update=True)
    row = uow.external_tasks.locked(found.id)
    if not free_for_builtin_worker(row, clock):
        return None
    assert row is not None
    if target is None:
        record_failure(uow, row, by=MESSAGES_WORKER, now=clock.now(), retries=0, wait_ms=0,
                       message=(refused or "")[:500])
        return {"instance": row.instance_id, "message": row.topic, "incident": row.error_message}
    deliver_message(uow, actor=SYSTEM, clock=clock, instance_id=target, name=row.topic, data=payload)
    _complete_throw(uow, clock, row, {"delivered_to": target})
    return {"instance": row.instance_id, "message": row.topic, "delivered_to": target}


# -- signals -----------------------------------------------------------------------------------------

@writes
def broadcast_signal(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str,
                     data: dict[str, Any] | None, thrown_by: int | None = None) -> dict[str, Any]:
    """A BPMN signal (``POST /engine-rest/signal`` in Camunda): every running instance waiting for
    it at a signal catch or boundary event catches it, with ``data`` under the signal's name, each
    recorded in its own history (signal_received). The sender must be a supervisor or work in each
    process that waits for it (a process it may not signal is a refusal, never a silent skip).
    ``thrown_by``: the instance whose signal throw this is (recorded with each catch)."""
    if data is not None and not isinstance(data, dict):
        raise BadInput("data 必须是 JSON 对象 (data must be a JSON object)", fields={"data": {"key": "form.data"}})
    waiting = {d.key: d for d in uow.definitions.latest_all("bpmn") if name in (d.meta.get("signals") or [])}
    if not waiting:
        raise NotFound(f"没有流程等待信号 {name!r} (no deployed process waits for this signal)")
    for process_id, definition in sorted(waiting.items()):
        meta = definition.meta
        lanes = set(meta.get("lanes") or {}) | set(meta.get("start_groups") or []) | SUPERVISORS
        if actor is not SYSTEM and not (actor.working_groups & lanes):
            raise NotPermitted(f"{actor.name} 无权向流程 {process_id} 发送信号 (may not signal this process)")
    payload, caught = dict(data or {}), []
    for found in uow.instances.running_of(waiting):
        if not _waits_for_signal(found.waiting, name):
            continue                    # its waiting projection, as its last step left it: not now
        instance = runtime.get_instance(uow, found.id, for_update=True)
        if instance.status != "running" or not _waits_for_signal(instance.waiting, name):
            continue
        uow.events.append(type="signal_received", actor=actor.name, at=clock.now(), instance_id=instance.id,
                          data={"name": name, "data": payload,
                                **({"thrown_by": thrown_by} if thrown_by is not None else {})})
        try:
            runtime.step(uow, instance, actor, clock, lambda r: r.send_signal(name, payload))
        except NotWaiting:
            raise Conflict(f"实例 {instance.id} 已不再等待信号 {name!r} (no longer waits for it)") from None
        caught.append(instance.id)
    return {"signal": name, "instances": caught}


def _waits_for_signal(waiting: list[dict[str, Any]] | None, name: str) -> bool:
    return any(w.get("kind") == "signal" and w.get("name") == name for w in waiting or [])


SIGNALS_WORKER = "wuye-signals"        # the built-in worker's name for signal throws


def broadcast_thrown_signal(uow: UnitOfWork, clock: Clock, task_id: str) -> dict[str, Any] | None:
    """The built-in worker's work for a signal throw (or signal end event) of one instance: the
    signal goes, as ``broadcast_signal`` sends it from the API, to every running instance waiting
    for it (none is fine: a signal nobody waits for is lost, as BPMN has it), and the throw
    completes. The thrower and every receiver are locked first, lowest id first, so two servers
    broadcasting crossing signals wait for each other instead of deadlocking. None: not open."""
    found = uow.external_tasks.get(str(task_id))
    if found is None or found.state != "open":
        return None
    sender = runtime.get_instance(uow, found.instance_id)
    name = str(sender.definition.meta["elements"].get(found.activity_id, {}).get("signal") or found.activity_id)
    waiting = [d.key for d in uow.definitions.latest_all("bpmn") if name in (d.meta.get("signals") or [])]
    receivers = [i.id for i in uow.instances.running_of(waiting) if _waits_for_signal(i.waiting, name)] \
        if waiting else []
    for instance_id in sorted({found.instance_id, *receivers}):
        runtime.get_instance(uow, instance_id, for_update=True)
    row = uow.external_tasks.locked(found.id)
    if not free_for_builtin_worker(row, clock):
        return None
    assert row is not None
    try:
        caught = broadcast_signal(uow, actor=SYSTEM, clock=clock, name=name, data={},
                                  thrown_by=row.instance_id)["instances"]
    except NotFound:
        caught = []
    _complete_throw(uow, clock, row, {"signal": name, "delivered_to": caught})
    return {"instance": row.instance_id, "signal": name, "delivered_to": caught}


def free_for_builtin_worker(row: ExternalTask | None, clock: Clock) -> bool:
    """Open, held by no live lock, not an incident: the built-in worker may do it."""
    return row is not None and row.state == "open" and not (
        row.lock_expires_at is not None and row.lock_expires_at > clock.now()) and not (
        row.retries is not None and row.retries <= 0)


def _complete_throw(uow: UnitOfWork, clock: Clock, row: ExternalTask, submitted: dict[str, Any]) -> None:
    sender = runtime.get_instance(uow, row.instance_id, for_update=True)
    throw = row.id

    def complete(run: Any) -> None:
        run.complete(throw, {})
    runtime.step(uow, sender, SYSTEM, clock, complete, acted_task=throw, submitted=submitted)
