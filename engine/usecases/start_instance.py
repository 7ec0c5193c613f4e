"""start_instance: a new instance of the latest version of a process, with its start form's data."""
from __future__ import annotations

import re
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import BadInput, FieldError, NotFound
from engine.rules.field_checks import refused_fields
from engine.rules.fields import FormField, validate_submission
from engine.rules.functions import expression_functions
from engine.rules.permissions import Actor, may_start
from engine.rules.register_file import phone_problem, room_problem
from engine.step import runtime
from engine.step.calendar import calendar_for
from engine.step.rule_tables import rule_tables
from engine.usecases.results import task_json
from engine.usecases.runner import writes
from storage.models import Definition, Instance
from storage.uow import UnitOfWork

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@writes
def start_instance(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str,
                   data: dict[str, Any] | None, override_room: bool = False) -> dict[str, Any]:
    definition = uow.definitions.latest("bpmn", process_id)
    if definition is None:
        raise NotFound(f"没有此流程 (no process {process_id!r})")
    meta = definition.meta
    may_start(actor, meta)
    fields = [FormField.from_json(f) for f in meta.get("start_form", [])]
    values = validate_submission(fields, data, now=clock.now()) if fields else _free_data(data)
    overridden = check_against_register(uow, actor, meta, values, override_room=override_room)
    refused = refused_fields(meta.get("checks") or {}, values,
                             expression_functions(clock, calendar_for(uow), rule_tables(uow).desks))
    if refused:
        raise BadInput("表单有误 (invalid fields): " + ", ".join(refused), fields=refused)
    if meta.get("schedule"):        # started by hand ahead of its schedule: the moment it is for is now
        values.setdefault("scheduled_for", to_iso(clock.now()))
    instance, result = begin_instance(uow, definition, actor, clock, values, overridden=overridden)
    calendar = calendar_for(uow)
    ready = [task_json(t, meta, calendar) for t in result.ready]
    return {"instance": instance.id, "process": process_id, "version": definition.version,
            "status": instance.status, "ready": ready}


def begin_instance(uow: UnitOfWork, definition: Definition, actor: Actor, clock: Clock, values: dict[str, Any], *,
                   overridden: str | None = None) -> tuple[Instance, runtime.StepResult]:
    """The new instance of ``definition`` with ``values`` (checked), its ``instance_started`` event and
    its first step: the one way in for a person's start and the timer loop's scheduled start."""
    now = clock.now()
    instance = uow.instances.add(Instance(
        definition_id=definition.id, definition=definition, process_id=definition.key, status="running", state="",
        serializer_version="", next_timer_at=None, room=str(values.get("room") or "")[:64] or None,
        started_by=actor.name, started_at=now, updated_at=now, retries=0))
    uow.events.append(type="instance_started", actor=actor.name, at=now, instance_id=instance.id,
                      data={"process": definition.key, "version": definition.version, "data": values})
    if overridden:
        uow.events.append(type="register_override", actor=actor.name, at=now, instance_id=instance.id,
                          data={"room": overridden, "why": "room not in the register, accepted by a supervisor"})
    run = runtime.start_run(instance, values, clock, uow)
    return instance, runtime.step(uow, instance, actor, clock, lambda r: None, run=run, catch_up=False)


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


UNKNOWN_ROOM = "register.unknown_room"


def check_against_register(uow: UnitOfWork, actor: Actor, meta: dict[str, Any], values: dict[str, Any], *,
                           override_room: bool) -> str | None:
    """The start form's room (``register:room``) written 楼-单元-房 and, once the register holds any
    room, one it holds; the case's phones (``case:phones``) phone numbers. A supervisor may accept a
    room the register lacks (returned, to be recorded); every problem is a field error."""
    problems: dict[str, FieldError] = {}
    for name in (meta.get("case") or {}).get("phones", []):
        value = values.get(name)
        problem = phone_problem(str(value)) if isinstance(value, str) and value.strip() else None
        if problem:
            problems[name] = {"key": "register.phone", "message": problem}
    field: str = (meta.get("register") or {}).get("room") or ""
    room = str(values.get(field) or "").strip() if field else ""
    overridden = None
    if room:
        problem = room_problem(room)
        if problem:
            problems[field] = {"key": "register.room_format", "message": problem}
        elif uow.register.count() and not uow.register.existing([room]):
            if override_room and actor.is_supervisor:
                overridden = room
            else:
                who = "勾选下方的主管确认后可以受理" if actor.is_supervisor else "请核对房号，或请主管确认后受理"
                problems[field] = {"key": UNKNOWN_ROOM, "message": f"登记册中没有房号 {room}：{who}"}
    if problems:
        raise BadInput("表单有误 (invalid fields): " + ", ".join(problems), fields=problems)
    return overridden
