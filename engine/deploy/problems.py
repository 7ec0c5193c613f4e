"""The vocabulary of the deploy-time rules: what a rule is given (``Context``, an element), what it
says (``Finding``), and how findings become the ``file:line: element: reason`` lines of a refusal.

Why one shape for every rule: each rule is a small named function with its own message, so the
rules can be read, listed and tested one by one (tests/unit/test_deploy_rules.py), and the deploy
reports every problem of every file at once instead of stopping at the first."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from engine.errors import BadInput

__all__ = ["Context", "Finding", "Problems", "Rule"]


class Finding(NamedTuple):
    """One problem: ``node`` gives the line (and, through its nearest id, the element named).
    A ``warning`` does not refuse the deploy: it is reported with the versions deployed."""
    node: etree._Element
    message: str
    warning: bool = False


@dataclass(frozen=True)
class Context:
    """What a rule may consult besides the element: the groups that exist, the functions expressions
    may call (engine/rules/functions.py; the sandbox's safe builtins come on top), the lanes of
    the process being checked (flow node id -> lane id), and the rows of the penalty table in force."""
    known_groups: frozenset[str]
    function_names: frozenset[str]
    lanes: Mapping[str, str | None] = field(default_factory=dict)
    penalty_rows: frozenset[str] | None = None     # the penalty table's deadline ids; None: not checked


Rule = Callable[[Context, etree._Element], Iterator[Finding]]


class Problems:
    """Collects ``file:line: element: reason`` lines; raises them all at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warnings: list[str] = []

    def add(self, file: str, node: etree._Element, message: str, *, warning: bool = False) -> None:
        """The line is the node's own; the element named is the node or, when it has no id (a
        ``timeDuration``, an execution listener), the nearest enclosing element that has one."""
        line = getattr(node, "sourceline", None) or "?"
        ident: str | None = None
        owner: etree._Element | None = node
        while owner is not None and hasattr(owner, "get") and not ident:
            ident, owner = owner.get("id"), owner.getparent()
        (self.warnings if warning else self.lines).append(f"{file}:{line}: {ident + ': ' if ident else ''}{message}")

    def extend(self, file: str, findings: Iterator[Finding] | list[Finding]) -> None:
        for node, message, warning in findings:
            self.add(file, node, message, warning=warning)

    def raise_if_any(self) -> None:
        if self.lines:
            raise BadInput("\n".join(self.lines))
