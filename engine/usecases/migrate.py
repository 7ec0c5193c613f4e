"""Moving waiting instances to another version of their process: the check (can it, and what will
it look like), one instance, or every waiting instance of a version.

Why a check apart from the move: a process owner looks before moving a batch. The check tries the
real thing in memory (engine/spiff/migration.py: the stored state loaded on the target, its road
ahead predicted again) and stores nothing; the move does the same and saves through the step's own
recording, so the instance's row, its projections and its version column are written as a step
writes them (a concurrent step makes one of the two a clean conflict), plus one ``migrated`` event
with the versions, their content hashes and the actor."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.deploy.diff import form_changes
from engine.errors import BadInput, Conflict, NotFound
from engine.rules.permissions import Actor, may_model
from engine.spiff import clock_context, load_spec
from engine.spiff.migration import Carried, carry_state
from engine.spiff.run import Run
from engine.step import runtime
from engine.usecases.runner import reads, writes
from storage.models import Definition, Instance
from storage.uow import UnitOfWork

__all__ = ["MigrationRefused", "migrate_instance", "migrate_version", "migration_candidates", "migration_check"]


class MigrationRefused(Conflict):
    """SpiffWorkflow cannot carry the instance's state (or it is not waiting): 409, with each reason."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


def _number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise BadInput(f"{name} 必须是版本号（正整数）({name} must be a version number)",
                       fields={name: {"key": "form.long", "message": "请填写版本号"}})
    return value


def _target(uow: UnitOfWork, instance: Instance, to_version: Any) -> Definition:
    to_version = _number(to_version, "to_version")
    target = uow.definitions.version("bpmn", instance.process_id, to_version)
    if target is None:
        raise NotFound(f"流程 {instance.process_id} 没有第 {to_version} 版 (no version {to_version})")
    return target


def _try(uow: UnitOfWork, instance: Instance, target: Definition, clock: Clock) -> Carried:
    reasons = []
    if instance.status != "running":
        reasons.append(f"实例状态为 {instance.status}，只有进行中的实例可以迁移 (only running instances migrate)")
    if target.id == instance.definition_id:
        reasons.append(f"实例已在第 {target.version} 版上 (the instance is on version {target.version} already)")
    if reasons:
        return Carried(None, reasons, [])
    source = runtime.spec_of(instance)
    spec = load_spec(target.id, target.content_hash, lambda: target.spec)
    with clock_context(clock):
        return carry_state(instance.state, source, spec, runtime.script_engine(clock))


def _report(instance: Instance, target: Definition, carried: Carried) -> dict[str, Any]:
    active = set(carried.active)
    forms = [c for c in form_changes(instance.definition.meta, target.meta) if c["element"] in active]
    elements = target.meta.get("elements", {})
    return {"instance": instance.id, "process": instance.process_id, "from": instance.definition.version,
            "to": target.version, "can_migrate": carried.state is not None, "reasons": carried.reasons,
            "active": [{"id": a, "name": elements.get(a, {}).get("name", a), "type": elements.get(a, {}).get("type")}
                       for a in carried.active],
            "form_changes": forms}


@reads
def migration_check(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int,
                    to_version: Any) -> dict[str, Any]:
    """Whether the instance can move to ``to_version``, why not, and what its waiting tasks' forms gain or lose."""
    may_model(actor)
    instance = runtime.get_instance(uow, instance_id)
    target = _target(uow, instance, to_version)
    return _report(instance, target, _try(uow, instance, target, clock))


def _move(uow: UnitOfWork, actor: Actor, clock: Clock, instance: Instance, target: Definition) -> dict[str, Any]:
    carried = _try(uow, instance, target, clock)
    report = _report(instance, target, carried)
    if carried.state is None:
        return report
    source = instance.definition
    instance.definition_id, instance.definition = target.id, target
    uow.flush()                         # the version column moves on: a concurrent step now conflicts
    with clock_context(clock):
        run = Run.load(load_spec(target.id, target.content_hash, lambda: target.spec), carried.state,
                       runtime.script_engine(clock, uow))
        runtime.record(uow, instance, run, run.snapshot(), actor, clock)
    uow.events.append(type="migrated", actor=actor.name, at=clock.now(), instance_id=instance.id,
                      data={"process": instance.process_id, "from": source.version, "to": target.version,
                            "from_hash": source.content_hash, "to_hash": target.content_hash,
                            "active": carried.active})
    return {**report, "migrated": True}


@writes
def migrate_instance(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int,
                     to_version: Any) -> dict[str, Any]:
    """Move one instance; Conflict (409) with the reasons when it cannot be carried."""
    may_model(actor)
    instance = runtime.get_instance(uow, instance_id, for_update=True)
    result = _move(uow, actor, clock, instance, _target(uow, instance, to_version))
    if not result["can_migrate"]:
        raise MigrationRefused(f"实例 {instance_id} 不能迁移到第 {result['to']} 版：{'；'.join(result['reasons'])} "
                               f"(instance {instance_id} cannot migrate to version {result['to']})", result["reasons"])
    return result


@writes
def migrate_version(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str, from_version: Any,
                    to_version: Any) -> dict[str, Any]:
    """Move every running instance of one version that can be carried; the rest stay, with their reasons."""
    may_model(actor)
    from_version, to_version = _number(from_version, "from_version"), _number(to_version, "to_version")
    source = uow.definitions.version("bpmn", process_id, from_version)
    if source is None:
        raise NotFound(f"流程 {process_id} 没有第 {from_version} 版 (no version {from_version})")
    results = []
    for instance_id in uow.definitions.waiting_instances(source.id):
        instance = runtime.get_instance(uow, instance_id, for_update=True)
        results.append(_move(uow, actor, clock, instance, _target(uow, instance, to_version)))
    return {"process": process_id, "from": from_version, "to": to_version,
            "migrated": [r["instance"] for r in results if r["can_migrate"]],
            "refused": [{"instance": r["instance"], "reasons": r["reasons"]} for r in results if not r["can_migrate"]]}


@reads
def migration_candidates(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str, from_version: Any,
                         to_version: Any) -> dict[str, Any]:
    """Every running instance of one version with its check against ``to_version``: the preview of a batch."""
    may_model(actor)
    from_version = _number(from_version, "from_version")
    source = uow.definitions.version("bpmn", process_id, from_version)
    if source is None:
        raise NotFound(f"流程 {process_id} 没有第 {from_version} 版 (no version {from_version})")
    checks = []
    for instance_id in uow.definitions.waiting_instances(source.id):
        instance = runtime.get_instance(uow, instance_id)
        target = _target(uow, instance, to_version)
        checks.append({**_report(instance, target, _try(uow, instance, target, clock)),
                       "room": instance.room, "started_at": instance.started_at.isoformat()})
    return {"process": process_id, "from": from_version, "to": to_version, "instances": checks}
