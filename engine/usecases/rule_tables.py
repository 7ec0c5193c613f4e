"""The rule tables as process owners manage them: list, read a version, deploy a new version
(every row checked, each problem beside its row), and the seeding from the files in processes/.

A deployed version is immutable; the engine reads the latest (engine/step/rule_tables.py), so the
next violation is charged, the next move-in routed and the next complaint guided by it, while what
was recorded before keeps what it was (a violation stores its amount). Every deploy is an audit
event with the table, the version, its content hash, the comment and the actor."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import BadInput, Conflict, NotFound
from engine.rules import case_library, desks, penalties
from engine.rules.permissions import SYSTEM, Actor, may_deploy, may_model
from engine.rules.tables import TABLES, RowProblem, check_rows, content_hash, split_file
from engine.usecases.runner import reads, writes
from storage.rule_tables import RuleTableVersion
from storage.uow import UnitOfWork

__all__ = ["RuleTableRefused", "deploy_rule_table", "list_rule_tables", "seed_rule_tables", "show_rule_table"]

MAX_COMMENT = 500
Row = tuple[str, dict[str, Any]]


class RuleTableRefused(BadInput):
    """A new version the checks refused: every problem, each with its row, key and field."""

    def __init__(self, message: str, problems: list[RowProblem]) -> None:
        super().__init__(message)
        self.problems = problems


def _kind(table: str) -> None:
    if table not in TABLES:
        raise NotFound(f"没有此规则表 (no rule table {table!r}; tables: {', '.join(TABLES)})")


def _header(v: RuleTableVersion) -> dict[str, Any]:
    return {"version": v.version, "hash": v.content_hash, "origin": v.origin, "deployed_by": v.deployed_by,
            "deployed_at": to_iso(v.deployed_at), "comment": v.comment or "", "rows": len(v.rows)}


@reads
def list_rule_tables(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    may_model(actor)
    out = []
    for kind in TABLES.values():
        latest = uow.rule_tables.latest(kind.name)
        out.append({"table": kind.name, "title": kind.title, "about": kind.about,
                    "latest": _header(latest) if latest else None})
    return {"tables": out}


@reads
def show_rule_table(uow: UnitOfWork, *, actor: Actor, clock: Clock, table: str,
                    version: int | None = None) -> dict[str, Any]:
    """One version's rows (the latest unless ``version``), with every version's header. A table
    never deployed shows its seed file's rows as version 0."""
    may_model(actor)
    _kind(table)
    kind = TABLES[table]
    history = uow.rule_tables.history(table)
    chosen = history[-1] if version is None and history else next((v for v in history if v.version == version), None)
    if chosen is None and (version not in (None, 0) or history):
        raise NotFound(f"{kind.title}没有第 {version} 版 (no version {version} of {table})")
    if chosen is not None:
        settings, rows = dict(chosen.settings), [(r.key, dict(r.data)) for r in chosen.rows]
    else:
        settings, rows = _seed_rows(table, None)
    return {"table": table, "title": kind.title, "about": kind.about, "key_label": kind.key_label,
            "columns": [{"field": c.field, "label": c.label, "kind": c.kind, "required": c.required}
                        for c in kind.columns],
            "version": chosen.version if chosen else 0, "latest": history[-1].version if history else 0,
            "settings": settings, "rows": [{"key": k, "data": d} for k, d in rows],
            "versions": [_header(v) for v in reversed(history)]}


@writes
def deploy_rule_table(uow: UnitOfWork, *, actor: Actor, clock: Clock, table: str, rows: list[Row],
                      comment: str = "", base_version: int | None = None,
                      settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check every row, then store them as the table's next version (unchanged rows: no version).
    ``base_version``: the version the editor started from; another deployed since is a conflict, so
    nobody's edit silently undoes someone else's. ``settings``: the file's keys beside the rows
    (kept from the latest version when not given)."""
    may_deploy(actor)
    _kind(table)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise BadInput(f"说明不能超过 {MAX_COMMENT} 字 (the comment is too long)",
                       fields={"comment": {"key": "comment.too_long", "message": f"不能超过 {MAX_COMMENT} 字"}})
    latest = uow.rule_tables.latest(table)
    if base_version is not None and base_version != (latest.version if latest else 0):
        raise Conflict(f"{TABLES[table].title}已被别人部署为第 {latest.version if latest else 0} 版，请刷新后重新修改 "
                       "(someone else deployed a newer version first; reload and edit again)")
    if settings is None:
        settings = dict(latest.settings) if latest else _seed_rows(table, None)[0]
    return _store(uow, actor, clock, table, settings, rows, comment, origin="edit")


def _store(uow: UnitOfWork, actor: Actor, clock: Clock, table: str, settings: dict[str, Any], rows: list[Row],
           comment: str, *, origin: str) -> dict[str, Any]:
    problems = check_rows(table, rows, settings) + _deadlines_still_charged(uow, table, rows)
    if problems:
        first = problems[0]
        where = f"第 {first.row + 1} 行" if first.row is not None else "表"
        raise RuleTableRefused(f"{TABLES[table].title}有 {len(problems)} 处错误，未部署；{where}"
                               f"{('（' + first.key + '）') if first.key else ''}：{first.message}", problems)
    digest = content_hash(table, settings, rows)
    latest = uow.rule_tables.latest(table)
    if latest is not None and latest.content_hash == digest:
        return {"table": table, "version": latest.version, "new": False, "hash": digest}
    version = latest.version + 1 if latest else 1
    now = clock.now()
    uow.rule_tables.add(table=table, version=version, content_hash=digest, origin=origin, settings=settings,
                        rows=rows, deployed_by=actor.name, deployed_at=now, comment=comment)
    before = {r.key: r.data for r in latest.rows} if latest else {}
    changed = sorted(k for k, d in rows if before.get(k) != d)
    removed = sorted(set(before) - {k for k, _ in rows})
    uow.events.append(type="rules_deployed", actor=actor.name, at=now,
                      data={"table": table, "version": version, "hash": digest, "changed": changed,
                            "removed": removed, **({"comment": comment} if comment else {})})
    return {"table": table, "version": version, "new": True, "hash": digest, "changed": changed, "removed": removed}


def _deadlines_still_charged(uow: UnitOfWork, table: str, rows: list[Row]) -> list[RowProblem]:
    """A penalty row a deployed process's deadline names cannot be removed: its next violation
    would be charged nothing without anyone having decided so."""
    if table != "penalties" or not uow.rule_tables.latest(table):
        return []
    keys = {k for k, _ in rows}
    problems = []
    for d in uow.definitions.latest_all("bpmn"):
        for element_id, el in (d.meta.get("elements") or {}).items():
            deadline = (el.get("properties") or {}).get("deadline")
            if deadline and deadline not in keys and not (el.get("properties") or {}).get("penalty"):
                problems.append(RowProblem(None, deadline, "key", f"流程 {d.key} 的 {element_id} 使用时限 {deadline}，"
                                                                  f"不能删除这一行 (deadline {deadline} is used by "
                                                                  f"{d.key} {element_id})"))
    return problems


def _seed_path(table: str, folder: Path | None) -> Path:
    if folder is not None:
        return folder / TABLES[table].file_name
    return {"penalties": penalties.penalties_path, "move_in_desks": desks.desks_path,
            "case_library": case_library.library_path}[table]()


def _seed_rows(table: str, folder: Path | None) -> tuple[dict[str, Any], list[Row]]:
    path = _seed_path(table, folder)
    if not path.exists():
        return {}, []
    try:
        return split_file(table, json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValueError) as e:
        raise BadInput(f"{path.name}: {e}") from None


def seed_rule_tables(uow: UnitOfWork, *, clock: Clock, folder: Path | None = None) -> list[dict[str, Any]]:
    """Deploy each table's seed file in ``folder`` (else the configured files) when it changed since
    it was last seeded: a table edited in the browser keeps its edits until the file itself changes.
    Called by `wuye init` inside its own unit of work; a bad file refuses with the row named."""
    out = []
    for table in TABLES:
        path = _seed_path(table, folder)
        if not path.exists():
            continue
        settings, rows = _seed_rows(table, folder)
        seeded = uow.rule_tables.latest_from_file(table)
        if seeded is not None and seeded.content_hash == content_hash(table, settings, rows):
            continue
        try:
            out.append(_store(uow, SYSTEM, clock, table, settings, rows, f"从 {path.name} 载入", origin="file"))
        except RuleTableRefused as e:
            raise BadInput(f"{path.name}: {e.message}") from None
    return out
