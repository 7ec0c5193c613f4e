"""deploy: validate BPMN/DMN files and store new immutable versions (unchanged content: no version)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from engine.clock import Clock
from engine.deploy.build import parse_processes
from engine.deploy.calls import resolve_callees
from engine.deploy.meta import BPMN_NS
from engine.deploy.sources import SourceFile, decision_ids, load_source
from engine.errors import BadInput
from engine.rules.functions import expression_functions
from engine.rules.permissions import SYSTEM, Actor, may_deploy
from engine.step.rule_tables import rule_tables
from engine.step.runtime import CALENDAR
from engine.usecases.runner import writes
from engine.usecases.scheduled_starts import adopt_schedule
from storage.models import Definition
from storage.uow import UnitOfWork


class DeployedVersion(TypedDict):
    """One file's outcome in the result: its kind, id and version, and whether the version is new."""
    kind: str           # 'bpmn' | 'dmn'
    id: str
    version: int
    new: bool
    hash: str


@writes
def deploy(uow: UnitOfWork, *, actor: Actor, clock: Clock, files: list[tuple[str, bytes]],
           comment: str = "") -> dict[str, Any]:
    """All files are checked before anything is stored; a refusal names file, line and element.
    ``comment``: why, kept with each new version and in its audit event.

    A process is rebuilt (as a new version) when a decision table it uses changes, since its stored
    spec embeds the table it was built with."""
    if actor is not SYSTEM:
        may_deploy(actor)
    if not files:
        raise BadInput("没有要部署的文件 (no files to deploy)")
    sources = [load_source(name, data) for name, data in files]
    uow.definitions.lock_versions()
    new_dmn = [s for s in sources if s.kind == "dmn"]
    bpmn = [s for s in sources if s.kind == "bpmn"]
    stored_dmn = {d.key: d for d in uow.definitions.latest_all("dmn")}
    dmn_by_key = {k: load_source(d.file_name, d.source.encode()) for k, d in stored_dmn.items()}
    changed_decisions: set[str | None] = set()
    for src in new_dmn:
        key = _dmn_key(src)
        if key not in stored_dmn or stored_dmn[key].content_hash != src.content_hash:
            changed_decisions.update(decision_ids(src))
        dmn_by_key[key] = src
    # processes not in this call that use a changed table are rebuilt against the new table
    names = {s.name for s in bpmn}
    for d in uow.definitions.latest_all("bpmn"):
        if set(d.meta.get("decisions", {})) & changed_decisions and d.file_name not in names:
            bpmn.append(load_source(d.file_name, d.source.encode()))
            names.add(d.file_name)
    _rebuild_callers(uow, bpmn, names)
    known_groups = {g.id for g in uow.users.groups()}
    functions = set(expression_functions(clock, CALENDAR))
    replaced = {_dmn_key(s) for s in new_dmn}
    callees = resolve_callees(bpmn, lambda process_id, version: _stored_process(uow, process_id, version))
    processes = parse_processes(bpmn, list(dmn_by_key.values()), known_groups=known_groups, function_names=functions,
                                callees=callees, unchecked_dmn=[s for k, s in dmn_by_key.items() if k not in replaced],
                                penalty_rows=set(rule_tables(uow).penalties()))
    now = clock.now()
    result: list[DeployedVersion] = []
    for src in new_dmn:
        key = _dmn_key(src)
        result.append(_store(uow, actor, now, kind="dmn", key=key, name=src.root.get("name") or key,
                             file_name=src.name, source=src.data, content_hash=src.content_hash, spec=None,
                             meta={"decisions": decision_ids(src)}, comment=comment))
    for p in processes:
        meta = {**p.meta, "decisions": p.decisions}
        stored = _store(uow, actor, now, kind="bpmn", key=p.process_id, name=p.name, file_name=p.file.name,
                        source=p.file.data, content_hash=p.content_hash, spec=p.spec, meta=meta, comment=comment)
        result.append(stored)
        latest = uow.definitions.latest("bpmn", p.process_id) if stored["new"] else None
        if latest is not None:
            adopt_schedule(uow, latest, now)        # the version in force holds the process's schedule
    warnings = sorted({w for p in processes for w in p.warnings})
    # the use cases' JSON result, as the CLI and the web app pass it on ("warnings": what deployed
    # but deserves a look, e.g. a task nobody is named for, which waits for a supervisor)
    return {"deployed": result, "warnings": warnings}


def _rebuild_callers(uow: UnitOfWork, bpmn: list[SourceFile], names: set[str]) -> None:
    """Callers bound to the *latest* version of a process deployed now are rebuilt against it (a new
    version each), and their callers in turn: new instances call the latest callee, running ones keep
    the version they started on."""
    stored = uow.definitions.latest_all("bpmn")
    while True:
        ids = {p.get("id") for s in bpmn for p in s.root.findall(f"{{{BPMN_NS}}}process")}
        callers = [d for d in stored if d.file_name not in names
                   and any(v is None and c in ids for c, v in (d.meta.get("calls") or {}).items())]
        if not callers:
            return
        for d in callers:
            bpmn.append(load_source(d.file_name, d.source.encode()))
            names.add(d.file_name)


def _stored_process(uow: UnitOfWork, process_id: str, version: int | None) -> tuple[str, str] | None:
    """(file name, source) of a deployed version of ``process_id``: ``version``, else the latest."""
    if version is None:
        found = uow.definitions.latest("bpmn", process_id)
    else:
        found = next((d for d in uow.definitions.versions("bpmn", process_id) if d.version == version), None)
    return (found.file_name, found.source) if found is not None else None


def _dmn_key(src: SourceFile) -> str:
    """A DMN file is versioned by its definitions id (its file name when it has none)."""
    return src.root.get("id") or src.name


def _store(uow: UnitOfWork, actor: Actor, now: datetime, *, kind: str, key: str, name: str, file_name: str,
           source: bytes, content_hash: str, spec: dict[str, Any] | None, meta: dict[str, Any],
           comment: str = "") -> DeployedVersion:
    """``spec`` and ``meta`` are stored as JSON, as they are."""
    latest = uow.definitions.latest(kind, key)
    if latest is not None and latest.content_hash == content_hash:
        return {"kind": kind, "id": key, "version": latest.version, "new": False, "hash": content_hash}
    version = (latest.version + 1) if latest else 1
    uow.definitions.add(Definition(kind=kind, key=key, name=name, version=version, content_hash=content_hash,
                                   file_name=file_name, source=source.decode("utf-8"), spec=spec, meta=meta,
                                   deployed_by=actor.name, deployed_at=now, comment=comment))
    uow.events.append(type="deployed", actor=actor.name, at=now,
                      data={"kind": kind, "id": key, "version": version, "hash": content_hash, "file": file_name,
                            **({"comment": comment} if comment else {})})
    return {"kind": kind, "id": key, "version": version, "new": True, "hash": content_hash}
