"""The process owners' use cases over deployed definitions: list the versions, read one version's
file, deploy with a comment (a refusal as a list of element-level problems), and diff two versions.

Only process owners and administrators (``may_model``); everyone else is refused before anything
is read. Deploying goes through :func:`engine.usecases.deploy.deploy`, the same path as `wuye deploy`
and `wuye init`: the rules, the sandbox compile and the versioning are the same wherever a
diagram comes from."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock, to_iso
from engine.deploy.diff import VersionDiff, diff_versions
from engine.deploy.report import DeployProblem, deploy_problems
from engine.deploy.safe_xml import parse_xml
from engine.errors import BadInput, NotFound
from engine.rules.permissions import Actor, may_model
from engine.usecases import deploy as deploying
from engine.usecases.runner import reads, writes
from engine.usecases.scheduled_starts import next_start
from storage.models import Definition
from storage.uow import UnitOfWork

__all__ = ["DeployRefused", "definition_source", "deploy_definition", "list_definitions", "process_versions",
           "version_diff"]

MAX_COMMENT = 500


class DeployRefused(BadInput):
    """A deploy the rules refused: the message as ever, and each problem with its element and line."""

    def __init__(self, message: str, problems: list[DeployProblem]) -> None:
        super().__init__(message)
        self.problems = problems


def _version_json(d: Definition, running: dict[int, int]) -> dict[str, Any]:
    return {"version": d.version, "hash": d.content_hash, "file": d.file_name, "name": d.name,
            "deployed_by": d.deployed_by, "deployed_at": to_iso(d.deployed_at), "comment": d.comment or "",
            "running": running.get(d.id, 0)}


def _kind_of(uow: UnitOfWork, process_id: str) -> str:
    for kind in ("bpmn", "dmn"):
        if uow.definitions.latest(kind, process_id) is not None:
            return kind
    raise NotFound(f"没有此流程定义 (no process or decision table {process_id!r})")


def _versions_json(uow: UnitOfWork, kind: str, key: str) -> dict[str, Any]:
    versions = uow.definitions.versions(kind, key)
    running = uow.definitions.running_counts(kind, key)
    schedule = uow.schedules.get(key) if kind == "bpmn" else None
    return {"id": key, "kind": kind, "name": versions[-1].name, "latest": versions[-1].version,
            "versions": [_version_json(d, running) for d in versions],
            "next_start": next_start(schedule)}       # a timer start event's next moment, else None


@reads
def list_definitions(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    """Every process and decision table with all its versions: who deployed each, when, why, its
    content hash and how many instances still run on it."""
    may_model(actor)
    return {"definitions": [_versions_json(uow, d.kind, d.key) for d in uow.definitions.latest_all()]}


@reads
def process_versions(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str) -> dict[str, Any]:
    may_model(actor)
    return _versions_json(uow, _kind_of(uow, process_id), process_id)


def _definition(uow: UnitOfWork, process_id: str, version: int | None) -> Definition:
    kind = _kind_of(uow, process_id)
    found = (uow.definitions.latest(kind, process_id) if version is None
             else uow.definitions.version(kind, process_id, version))
    if found is None:
        raise NotFound(f"流程 {process_id} 没有第 {version} 版 (no version {version} of {process_id})")
    return found


@reads
def definition_source(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str,
                      version: int | None = None) -> dict[str, Any]:
    """One version's file exactly as deployed (``version`` None: the latest)."""
    may_model(actor)
    d = _definition(uow, process_id, version)
    return {"id": process_id, "kind": d.kind, "version": d.version, "file": d.file_name, "hash": d.content_hash,
            "xml": d.source}


@writes
def deploy_definition(uow: UnitOfWork, *, actor: Actor, clock: Clock, files: list[tuple[str, bytes]],
                      comment: str = "") -> dict[str, Any]:
    """Deploy from the modeler or the API, with a comment. Refused (DeployRefused, nothing stored)
    with every problem and the element it is about."""
    may_model(actor)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise BadInput(f"说明最多 {MAX_COMMENT} 个字 (the comment is longer than {MAX_COMMENT} characters)",
                       fields={"comment": {"key": "form.maxlength", "message": f"最多 {MAX_COMMENT} 个字"}})
    try:
        return deploying.deploy(uow, actor=actor, clock=clock, files=files, comment=comment)
    except DeployRefused:
        raise
    except BadInput as e:
        raise DeployRefused(e.message, deploy_problems(e.message, files)) from None


@reads
def version_diff(uow: UnitOfWork, *, actor: Actor, clock: Clock, process_id: str, from_version: int,
                 to_version: int) -> dict[str, Any]:
    """Elements added, removed, changed (each property's old and new value) and moved between two
    versions, and the form fields that changed."""
    may_model(actor)
    a, b = _definition(uow, process_id, from_version), _definition(uow, process_id, to_version)
    diff: VersionDiff = diff_versions(parse_xml(a.source, a.file_name), parse_xml(b.source, b.file_name),
                                      a.meta, b.meta)
    return {"id": process_id, "from": a.version, "to": b.version, **diff}
