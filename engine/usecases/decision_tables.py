"""The decision table editor's two server calls (dmn-js in the browser, webforms/dmn.py): check a
DMN file cell by cell in the sandbox without deploying it, and try one of its tables on sample data.

Both are readers: nothing is stored. Deploying goes through ``deploy_definition`` like any other
file (the same checks again, the version, the audit event). A file whose cells do not pass is not
tried: its problems come back instead, each with the element (the cell's inputEntry/outputEntry
id, which the editor marks) and its line."""
from __future__ import annotations

import ast
from typing import Any

from lxml import etree

from engine.clock import Clock
from engine.deploy.build import parse_processes
from engine.deploy.decision_order import runnable_decisions
from engine.deploy.report import deploy_problems
from engine.deploy.sources import SourceFile, load_source
from engine.errors import BadInput
from engine.rules.functions import expression_functions
from engine.rules.permissions import Actor, may_model
from engine.spiff.decide import try_decision
from engine.step.rule_tables import rule_tables
from engine.step.runtime import CALENDAR
from engine.usecases.definitions import DeployRefused
from engine.usecases.runner import reads
from storage.uow import UnitOfWork

__all__ = ["check_decision_file", "try_decision_table"]


def _checked(uow: UnitOfWork, clock: Clock, file: str, xml: str) -> SourceFile:
    """The DMN file, every cell of it passed in the sandbox (else DeployRefused with each problem)."""
    files = [(file or "table.dmn", xml.encode("utf-8"))]
    try:
        src = load_source(*files[0])
        if src.kind != "dmn":
            raise BadInput(f"{src.name}: 不是 DMN 文件 (not a DMN file)")
        functions = set(expression_functions(clock, CALENDAR))
        parse_processes([], [src], known_groups={g.id for g in uow.users.groups()}, function_names=functions)
    except BadInput as e:
        raise DeployRefused(e.message, deploy_problems(e.message, files)) from None
    return src


@reads
def check_decision_file(uow: UnitOfWork, *, actor: Actor, clock: Clock, xml: str,
                        file: str = "table.dmn") -> dict[str, Any]:
    """Every decision, input, rule and cell checked as deploy checks them; nothing stored."""
    may_model(actor)
    src = _checked(uow, clock, file, xml)
    names = set(expression_functions(clock, CALENDAR))
    return {"ok": True, "decisions": [_decision_json(d, names) for d in runnable_decisions(src.root)]}


@reads
def try_decision_table(uow: UnitOfWork, *, actor: Actor, clock: Clock, xml: str, decision: str | None = None,
                       data: dict[str, Any] | None = None, file: str = "table.dmn") -> dict[str, Any]:
    """Which rules the sample ``data`` matches in ``decision`` (the first table unless named) and
    what it decides, run as a business rule task runs it."""
    may_model(actor)
    src = _checked(uow, clock, file, xml)
    tables = {_decision_id(d): d for d in runnable_decisions(src.root)}
    if not tables:
        raise BadInput("文件中没有决策表 (the file has no decision table)")
    chosen = tables.get(decision) if decision else next(iter(tables.values()))
    if chosen is None:
        raise BadInput(f"没有决策 {decision} (no decision {decision!r}; decisions: {', '.join(map(str, tables))})",
                       fields={"decision": {"key": "dmn.decision", "message": "没有此决策"}})
    functions = expression_functions(clock, CALENDAR, rule_tables(uow).desks)
    trial = try_decision(chosen, src.name, data or {}, functions)
    return {**_decision_json(chosen, set(functions)), "matched": trial.matched, "result": trial.result,
            "error": trial.error}


def _decision_id(root: etree._Element) -> str:
    decision = root.find(f"{{{etree.QName(root).namespace}}}decision")
    return str(decision.get("id") if decision is not None else "")


def _decision_json(root: etree._Element, functions: set[str]) -> dict[str, Any]:
    """The decision's id and name, and the data names its expressions read (the sample's fields)."""
    ns = etree.QName(root).namespace
    decision = root.find(f"{{{ns}}}decision")
    assert decision is not None                   # runnable_decisions keeps one decision per file
    names: list[str] = []
    for t in decision.iter(f"{{{ns}}}text"):
        parent = t.getparent()
        if parent is None or etree.QName(parent).localname not in ("inputExpression", "inputEntry", "outputEntry"):
            continue
        for name in _names((t.text or "").strip()):
            if name not in functions and name not in names and name != "dmninputexpr":
                names.append(name)
    return {"decision": decision.get("id"), "name": decision.get("name") or decision.get("id"), "variables": names}


def _names(text: str) -> list[str]:
    """The names an expression cell reads; a cell such as ``<= add_years(d, 5)`` is read as the end
    of a comparison."""
    if not text or text == "-":
        return []
    for candidate in (text, f"_{text}"):
        try:
            tree = ast.parse(candidate.replace("?", "_"), mode="eval")
        except SyntaxError:
            continue
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called
                and n.id not in ("_", "True", "False", "None")]
    return []
