"""start_instance: a new instance of the latest version of a process, with its start form's data."""
from __future__ import annotations

import re
from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, NotFound
from engine.rules.fields import FormField, validate_submission
from engine.rules.permissions import Actor, may_start
from engine.step import runtime
from engine.step.calendar import calendar_for
from engine.usecases.results import task_json
from engine.usecases.runner import writes
from storage.models import Instance
from storage.uow import UnitOfWork

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@writes
def start_instance(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str,
                   data: dict[str, Any] | None) -> dict[str, Any]:
    definition = uow.definitions.latest("bpmn", process_id)
    if definition is None:
        raise NotFound(f"没有此流程 (no process {process_id!r})")
    meta = definition.meta
    may_start(actor, meta)
    fields = [FormField.from_json(f) for f in meta.get("start_form", [])]
    values = validate_submission(fields, data, now=clock.now()) if fields else _free_data(data)
    now = clock.now()
    instance = uow.instances.add(Instance(
        definition_id=definition.id, definition=definition, process_id=process_id, status="running", state="",
        serializer_version="", next_timer_at=None, room=str(values.get("room") or "")[:64] or None,
        started_by=actor.name, started_at=now, updated_at=now, retries=0))
    uow.events.append(type="instance_started", actor=actor.name, at=now, instance_id=instance.id,
                      data={"process": process_id, "version": definition.version, "data": values})
    run = runtime.start_run(instance, values, clock, calendar_for(uow))
    result = runtime.step(uow, instance, actor, clock, lambda r: None, run=run,
                          catch_up=False)
    calendar = calendar_for(uow)
    ready = [task_json(t, meta, calendar) for t in result.ready]
    return {"instance": instance.id, "process": process_id, "version": definition.version,
            "status": instance.status, "ready": ready}


def _free_data(data: object) -> dict[str, Any]:
    """A process without a start form takes any JSON object whose keys are plain names."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput("data 必须是 JSON 对象 (data must be a JSON object)", fields={"data": {"key": "form.data"}})
    bad = [k for k in data if not _NAME.match(str(k))]
    if bad:
        raise BadInput(f"数据键名无效 (invalid data keys): {', '.join(map(str, bad))}",
                       fields={k: {"key": "form.unknown"} for k in bad})
    return dict(data)
