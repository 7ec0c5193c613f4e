"""Try a decision table on sample data, as a business rule task would run it: SpiffWorkflow's own
DMNEngine, the cells evaluated by our sandbox with the expression functions.

Why: a process owner editing the repair warranty table wants to see, before deploying, which row a
report matches and what it decides (a category, a delivery day, a report day in; ``route`` out).
The table is the one deploy builds (engine/deploy/decision_order.py has already made its hit
policy one SpiffWorkflow runs); only the task is ours: the sample data, and the sandbox engine."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from lxml import etree
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.spiff.limits import SandboxError, step_budget
from engine.spiff.parser import _Parser, _without_comments
from engine.spiff.sandbox import sandbox_script_engine

__all__ = ["DecisionTrial", "try_decision"]


@dataclass(frozen=True)
class DecisionTrial:
    decision: str
    matched: list[dict[str, Any]]       # [{"rule": id, "row": 1-based, "description"}], in the order they hit
    result: dict[str, Any]              # the outputs a business rule task would add to the data
    error: str | None = None            # why it could not be decided (a cell that failed on this data)


def try_decision(decision: etree._Element, file: str, data: Mapping[str, Any],
                 functions: Mapping[str, Callable[..., Any]]) -> DecisionTrial:
    """``decision``: a file holding one decision table, as ``runnable_decisions`` gives it."""
    parser = _Parser()
    parser.add_dmn_xml(_without_comments(decision), filename=file)
    [dmn_parser] = parser.dmn_parsers.values()
    dmn_parser.parse()
    table = dmn_parser.decision.decisionTables[0]
    engine = DMNEngine(table)
    decision_id = str(dmn_parser.decision.id)
    # what DMNEngine and its exceptions read of a task: its data, the workflow's script engine, and
    # the names an error's trace gives (one task, at the top of its own workflow)
    workflow = SimpleNamespace(script_engine=sandbox_script_engine(functions), spec=SimpleNamespace(file=file))
    workflow.top_workflow = workflow
    task = SimpleNamespace(data=dict(data), workflow=workflow,
                           task_spec=SimpleNamespace(name=decision_id, bpmn_name=dmn_parser.decision.name))
    try:
        with step_budget():
            rules = engine.decide(task)
            result = engine.result(task)
    except (SpiffWorkflowException, SandboxError, ValueError, TypeError, NameError, ArithmeticError) as e:
        return DecisionTrial(decision_id, [], {}, _said(e))
    return DecisionTrial(decision_id, [{"rule": r.id, "row": r.row_number, "description": r.description or ""}
                                       for r in rules], _plain(result))


def _said(e: BaseException) -> str:
    """The cause a person can act on (the cell's own error, under SpiffWorkflow's wrapping), with
    the row SpiffWorkflow names in its notes."""
    rows = [n for n in getattr(e, "__notes__", []) or [] if "row" in n]
    cause: BaseException = e
    while isinstance(cause, SpiffWorkflowException) and cause.__context__ is not None:
        cause = cause.__context__
    message = str(getattr(cause, "message", None) or cause)
    return f"{rows[0]}: {message}" if rows else message


def _plain(value: Any) -> Any:
    """JSON-able: the outputs are the sandbox's values (strings, numbers, dates as ISO)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
