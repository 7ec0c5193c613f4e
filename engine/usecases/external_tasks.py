"""External tasks, as Camunda 7's REST API has them: a worker fetches and locks tasks of its topics,
then completes each (with variables), reports a failure (retries left, a retry timeout; at 0 an
incident an admin sees, retries or resolves), extends its lock or gives the task back.

Who: a user of the ``worker`` group, only for the topics granted to it (``grant_topics``). Every
fetch, completion and failure is an event of the instance's history. A lock is good until the
clock passes ``lock_expires_at``; then the task is back in the queue, and its old holder may no
longer complete it. Completion locks the instance's row first, so the same task is never completed
twice, however many workers race (the loser gets a conflict)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.clock import SHANGHAI, Clock
from engine.deploy.event_meta import BUILTIN_PREFIX
from engine.errors import BadInput, Conflict, NotFound, NotPermitted
from engine.rules.fields import FormField, validate_submission
from engine.rules.permissions import SYSTEM, Actor
from engine.step import runtime
from engine.step.external import EXTERNAL_CHANNEL
from engine.usecases.camunda_values import from_typed, to_typed
from engine.usecases.runner import reads, writes
from storage.models import ExternalTask
from storage.uow import UnitOfWork

__all__ = [
    "EXTERNAL_CHANNEL",
    "complete_external_task",
    "extend_lock",
    "fetch_and_lock",
    "fetchable_count",
    "grant_topics",
    "handle_failure",
    "list_incidents",
    "record_failure",
    "report_bpmn_error",
    "resolve_incident",
    "set_retries",
    "unlock_external_task",
]

WORKERS = "worker"
MAX_TASKS = 100
MAX_LOCK_MS = 7 * 24 * 3600 * 1000


def _worker_topics(uow: UnitOfWork, actor: Actor) -> set[str]:
    if WORKERS not in actor.groups:
        raise NotPermitted(f"{actor.name} 不是外部任务执行程序 (only users of the worker group fetch external tasks)")
    return uow.external_tasks.topics_of(actor.name)


def _may_administer(actor: Actor) -> None:
    if actor is not SYSTEM and "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 不是系统管理员 (incidents are handled by admins)")


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"{field} 必须是 {low} 到 {high} 之间的整数 ({field} must be an integer {low}..{high})",
                       fields={field: {"key": "form.long"}})
    return value


def _text(value: Any, field: str, *, required: bool = True, limit: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise BadInput(f"缺少或无效的 {field} ({field} is required: a string of at most {limit} characters)",
                       fields={field: {"key": "form.required"}})
    return value


def camunda_time(at: datetime | None) -> str | None:
    """Camunda's own date format: ``2026-11-20T09:00:00.000+0800``."""
    if at is None:
        return None
    local = at.astimezone(SHANGHAI)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def task_json(uow: UnitOfWork, row: ExternalTask, names: list[str] | None = None) -> dict[str, Any]:
    """One locked external task in Camunda's LockedExternalTaskDto shape."""
    instance = runtime.get_instance(uow, row.instance_id)
    definition = instance.definition
    variables = {k: v for k, v in (row.variables or {}).items() if names is None or k in names}
    return {"activityId": row.activity_id, "activityInstanceId": f"{row.activity_id}:{row.id}",
            "errorMessage": row.error_message, "errorDetails": row.error_details, "executionId": row.id,
            "id": row.id, "lockExpirationTime": camunda_time(row.lock_expires_at),
            "processDefinitionId": f"{definition.key}:{definition.version}:{definition.id}",
            "processDefinitionKey": definition.key, "processDefinitionVersionTag": None,
            "processInstanceId": str(row.instance_id), "tenantId": None, "retries": row.retries,
            "workerId": row.worker_id, "priority": row.priority, "topicName": row.topic,
            "businessKey": instance.business_key, "variables": {k: to_typed(v) for k, v in variables.items()},
            "extensionProperties": {}}


@writes
def fetch_and_lock(uow: UnitOfWork, *, actor: Actor, clock: Clock, worker_id: Any, max_tasks: Any,
                   topics: Any) -> list[dict[str, Any]]:
    """``POST /engine-rest/external-task/fetchAndLock``: up to ``max_tasks`` tasks of ``topics``
    (``[{"topicName", "lockDuration" (ms), "variables" (names, or null for all)}]``), locked for the worker."""
    granted = _worker_topics(uow, actor)
    worker = _text(worker_id, "workerId")
    limit = _int(max_tasks, "maxTasks", 1, MAX_TASKS)
    if not isinstance(topics, list) or not topics:
        raise BadInput("topics 必须是非空列表 (topics must be a non-empty list)",
                       fields={"topics": {"key": "form.required"}})
    wanted: dict[str, tuple[int, list[str] | None]] = {}
    for i, t in enumerate(topics):
        if not isinstance(t, dict):
            raise BadInput(f"topics[{i}] 必须是对象 (must be an object)", fields={f"topics[{i}]": {"key": "form.data"}})
        name = _text(t.get("topicName"), f"topics[{i}].topicName")
        if name not in granted:
            raise NotPermitted(f"{actor.name} 无权领取主题 {name} 的任务 (this worker is not given topic {name}; "
                               f"it has: {', '.join(sorted(granted)) or 'none'})")
        names = t.get("variables")
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise BadInput(f"topics[{i}].variables 必须是变量名列表 (a list of names, or null)",
                           fields={f"topics[{i}].variables": {"key": "form.data"}})
        wanted[name] = (_int(t.get("lockDuration"), f"topics[{i}].lockDuration", 1, MAX_LOCK_MS), names)
    now = clock.now()
    rows = uow.external_tasks.fetchable(sorted(wanted), now, limit, skip_locked=uow.dialect == "postgresql")
    out = []
    for row in rows:
        duration, names = wanted[row.topic]
        row.worker_id, row.locked_by = worker, actor.name
        row.lock_expires_at = now + timedelta(milliseconds=duration)
        uow.events.append(type="external_task_locked", actor=actor.name, at=now, instance_id=row.instance_id,
                          task_id=row.id, data={"name": row.activity_id, "topic": row.topic, "worker": worker,
                                                "lock_expires_at": row.lock_expires_at.isoformat()})
        out.append(task_json(uow, row, names))
    return out


@reads
def fetchable_count(uow: UnitOfWork, *, actor: Actor, clock: Clock, topics: Any) -> int:
    """How many tasks of these topics a fetch would find now: a long poll looks with a read, and
    takes the write lock of a fetch only when there is something to lock (on SQLite, a poll that
    wrote every half second would queue every other writer behind it)."""
    names = [t.get("topicName") for t in topics if isinstance(t, dict)] if isinstance(topics, list) else []
    granted = _worker_topics(uow, actor)
    wanted = sorted({n for n in names if isinstance(n, str) and n in granted})
    return len(uow.external_tasks.fetchable(wanted, clock.now(), MAX_TASKS, skip_locked=False, lock=False)) \
        if wanted else 0


def _held(uow: UnitOfWork, actor: Actor, clock: Clock, task_id: str, worker_id: Any) -> ExternalTask:
    """The task, row-locked, which this worker holds a live lock on; else why not."""
    _worker_topics(uow, actor)
    worker = _text(worker_id, "workerId")
    row = uow.external_tasks.locked(str(task_id))
    if row is None:
        raise NotFound(f"没有此外部任务 (no external task {task_id})")
    if row.state != "open":
        raise Conflict(f"外部任务已{ {'completed': '完成', 'cancelled': '取消'}.get(row.state, row.state) } "
                       f"(the external task is already {row.state})")
    if row.worker_id != worker or row.locked_by != actor.name:
        raise Conflict(f"外部任务未被此执行程序锁定 (the task is not locked by worker {worker})")
    if row.lock_expires_at is None or row.lock_expires_at <= clock.now():
        raise Conflict("锁已过期，任务已回到队列 (the lock has expired: the task is back in the queue)")
    return row


def _values(uow: UnitOfWork, row: ExternalTask, variables: Any, clock: Clock) -> dict[str, Any]:
    """Camunda's typed variables, checked as a person's input is: by the element's form when it
    declares one, else as free data with plain names."""
    values = from_typed(variables)
    instance = runtime.get_instance(uow, row.instance_id)
    form = instance.definition.meta["elements"].get(row.activity_id, {}).get("form", [])
    if form:
        return validate_submission([FormField.from_json(f) for f in form], values, now=clock.now())
    return values


def _complete(uow: UnitOfWork, actor: Actor, clock: Clock, row: ExternalTask, values: dict[str, Any]) -> None:
    instance = runtime.get_instance(uow, row.instance_id, for_update=True)
    runtime.step(uow, instance, actor, clock, lambda r: r.complete(row.id, values), acted_task=row.id,
                 submitted=values)


@writes
def complete_external_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, worker_id: Any,
                           variables: Any = None) -> None:
    """``POST /engine-rest/external-task/{id}/complete``."""
    row = uow.external_tasks.get(str(task_id))
    if row is not None:          # the instance first, then the task: the order every step locks in
        runtime.get_instance(uow, row.instance_id, for_update=True)
    row = _held(uow, actor, clock, task_id, worker_id)
    _complete(uow, actor, clock, row, _values(uow, row, variables, clock))


@writes
def complete_as_recorded(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str,
                         data: dict[str, Any]) -> None:
    """A re-execution's (engine/usecases/replay.py) feed of a recorded external-task completion: the
    recorded data go in as they were (a built-in report is not computed again), no lock to hold."""
    row = uow.external_tasks.get(str(task_id))
    if row is None or row.state != "open":
        raise NotFound(f"外部任务 {task_id} 不在等待完成 (external task {task_id} is not open)")
    runtime.get_instance(uow, row.instance_id, for_update=True)
    _complete(uow, actor, clock, row, dict(data))


@writes
def handle_failure(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, worker_id: Any,
                   error_message: Any = None, error_details: Any = None, retries: Any = 0,
                   retry_timeout: Any = 0) -> None:
    """``POST /engine-rest/external-task/{id}/failure``: the lock is released; the task is fetched
    again after ``retry_timeout`` ms while ``retries`` is above 0, else it is an incident."""
    row = _held(uow, actor, clock, task_id, worker_id)
    left = _int(retries, "retries", 0, 1_000_000)
    wait = _int(retry_timeout if retry_timeout is not None else 0, "retryTimeout", 0, MAX_LOCK_MS)
    record_failure(uow, row, by=actor.name, now=clock.now(), retries=left, wait_ms=wait,
                   message=_text(error_message, "errorMessage", required=False, limit=500) or None,
                   details=_text(error_details, "errorDetails", required=False, limit=100_000) or None)


def record_failure(uow: UnitOfWork, row: ExternalTask, *, by: str, now: datetime, retries: int, wait_ms: int,
                   message: str | None, details: str | None = None) -> None:
    """A failed attempt (a worker's, or wuye's own worker's for a built-in topic): the lock is
    released, the task comes back after ``wait_ms``, and at 0 retries it is an incident."""
    row.retries, row.worker_id, row.locked_by, row.lock_expires_at = retries, None, None, None
    row.error_message, row.error_details = message, details
    row.not_before = now + timedelta(milliseconds=wait_ms) if wait_ms else None
    uow.events.append(type="external_task_failed", actor=by, at=now, instance_id=row.instance_id,
                      task_id=row.id, data={"name": row.activity_id, "topic": row.topic, "retries": retries,
                                            "error": row.error_message, "retry_timeout_ms": wait_ms})
    if retries == 0:
        uow.events.append(type="incident_opened", actor=by, at=now, instance_id=row.instance_id,
                          task_id=row.id, data={"name": row.activity_id, "topic": row.topic,
                                                "error": row.error_message})


@writes
def report_bpmn_error(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, worker_id: Any,
                      error_code: Any, error_message: Any = None, variables: Any = None) -> dict[str, Any]:
    """``POST /engine-rest/external-task/{id}/bpmnError``: the work cannot be done for a business
    reason the model foresees. An error boundary event on the task that catches ``error_code`` (or
    every code) takes the path it leads to, with ``variables`` (and the code and message in its
    camunda:errorCodeVariable / errorMessageVariable); with none, the task is an incident an admin
    sees. Either way an ``external_task_bpmn_error`` event says what the worker reported."""
    row = uow.external_tasks.get(str(task_id))
    if row is not None:          # the instance first, then the task: the order every step locks in
        runtime.get_instance(uow, row.instance_id, for_update=True)
    row = _held(uow, actor, clock, task_id, worker_id)
    code = _text(error_code, "errorCode")
    message = _text(error_message, "errorMessage", required=False, limit=500) or None
    values = from_typed(variables)
    instance = runtime.get_instance(uow, row.instance_id, for_update=True)
    boundary, caught = _error_boundary(instance.definition.meta["elements"], row.activity_id, code)
    now = clock.now()
    uow.events.append(type="external_task_bpmn_error", actor=actor.name, at=now, instance_id=row.instance_id,
                      task_id=row.id, data={"name": row.activity_id, "topic": row.topic, "code": code,
                                            "message": message, "caught_by": boundary, "variables": values})
    if boundary is None:
        record_failure(uow, row, by=actor.name, now=now, retries=0, wait_ms=0,
                       message=f"BPMN 错误 {code} 无边界事件捕获 (no error boundary event catches it)"
                               + (f": {message}" if message else ""))
        return {"caught_by": None, "incident": True}
    payload = {**values, **{var: value for var, value in ((caught.get("code_variable"), code),
                                                          (caught.get("message_variable"), message)) if var}}
    throw = row.id
    runtime.step(uow, instance, actor, clock, lambda r: r.throw_error(throw, boundary, payload), acted_task=throw,
                 submitted=payload)
    return {"caught_by": boundary, "incident": False}


def _error_boundary(elements: dict[str, Any], activity: str, code: str) -> tuple[str | None, dict[str, Any]]:
    """The error boundary event on ``activity`` that catches ``code``: one naming the code before
    one that catches every code."""
    found = sorted((el["error"].get("code") is None, ident) for ident, el in elements.items()
                   if el.get("attached_to") == activity and isinstance(el.get("error"), dict)
                   and el["error"].get("code") in (None, code))
    return (found[0][1], elements[found[0][1]]["error"]) if found else (None, {})


@writes
def extend_lock(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, worker_id: Any,
                new_duration: Any) -> None:
    """``POST /engine-rest/external-task/{id}/extendLock``: from now, ``new_duration`` ms."""
    row = _held(uow, actor, clock, task_id, worker_id)
    row.lock_expires_at = clock.now() + timedelta(milliseconds=_int(new_duration, "newDuration", 1, MAX_LOCK_MS))


@writes
def unlock_external_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> None:
    """``POST /engine-rest/external-task/{id}/unlock``: back in the queue (its holder, or an admin)."""
    row = uow.external_tasks.locked(str(task_id))
    if row is None or row.state != "open":
        raise NotFound(f"没有此待办外部任务 (no open external task {task_id})")
    if row.locked_by != actor.name:
        _may_administer(actor)
    row.worker_id, row.locked_by, row.lock_expires_at = None, None, None
    uow.events.append(type="external_task_unlocked", actor=actor.name, at=clock.now(), instance_id=row.instance_id,
                      task_id=row.id, data={"name": row.activity_id, "topic": row.topic})


@writes
def set_retries(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, retries: Any) -> None:
    """``PUT /engine-rest/external-task/{id}/retries`` (an admin): an incident goes back to the queue."""
    _may_administer(actor)
    row = uow.external_tasks.locked(str(task_id))
    if row is None or row.state != "open":
        raise NotFound(f"没有此待办外部任务 (no open external task {task_id})")
    was = row.retries
    row.retries, row.not_before = _int(retries, "retries", 0, 1_000_000), None
    uow.events.append(type="external_task_retries_set", actor=actor.name, at=clock.now(),
                      instance_id=row.instance_id, task_id=row.id,
                      data={"name": row.activity_id, "topic": row.topic, "retries": row.retries, "was": was})


@reads
def list_incidents(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> list[dict[str, Any]]:
    """Open external tasks out of retries, oldest first (``GET /engine-rest/incident``)."""
    _may_administer(actor)
    return [{"id": r.id, "incidentType": "failedExternalTask", "externalTaskId": r.id, "activityId": r.activity_id,
             "processInstanceId": str(r.instance_id), "processDefinitionKey": r.process_id, "topicName": r.topic,
             "incidentMessage": r.error_message, "errorDetails": r.error_details,
             "incidentTimestamp": camunda_time(r.completed_at or r.created_at)} for r in uow.external_tasks.incidents()]


@writes
def resolve_incident(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, variables: Any = None) -> None:
    """An admin resolves an incident by doing the work by hand: the task completes with ``variables``."""
    _may_administer(actor)
    row = uow.external_tasks.get(str(task_id))
    if row is None or row.state != "open" or row.retries != 0:
        raise NotFound(f"没有此事故 (no open incident for external task {task_id})")
    runtime.get_instance(uow, row.instance_id, for_update=True)
    row = uow.external_tasks.locked(str(task_id))
    assert row is not None
    values = _values(uow, row, variables, clock)
    uow.events.append(type="incident_resolved", actor=actor.name, at=clock.now(), instance_id=row.instance_id,
                      task_id=row.id, data={"name": row.activity_id, "topic": row.topic})
    _complete(uow, actor, clock, row, values)


@writes
def grant_topics(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, topics: list[str]) -> dict[str, Any]:
    """The topics a worker may fetch (replacing those it had); the user must be in the worker group."""
    _may_administer(actor)
    user = uow.users.get(name)
    if user is None or WORKERS not in user.group_ids:
        raise BadInput(f"{name} 不是 worker 组的用户 (topics are given to users of the worker group)",
                       fields={"name": {"key": "user.groups"}})
    clean = [t.strip() for t in topics if t.strip()]
    builtin = [t for t in clean if t.startswith(BUILTIN_PREFIX)]
    if builtin:
        raise BadInput(f"主题 {builtin[0]} 由 wuye 自己处理 (topics under {BUILTIN_PREFIX} are wuye's own built-in "
                       "topics: no worker outside fetches them)", fields={"topics": {"key": "form.data"}})
    uow.external_tasks.grant(user, clean)
    uow.events.append(type="worker_topics_granted", actor=actor.name, at=clock.now(),
                      data={"name": name, "topics": clean})
    return {"name": name, "topics": sorted(set(clean))}
