"""BPMN expressions (gateway conditions, timers, DMN cells, message correlations) in simpleeval.

Why simpleeval and not eval: it walks the syntax tree itself, so there are no builtins to reach, no
dunder attributes, no imports; on top of it the operators and the multiplying str methods are the
size-guarded ones of engine/spiff/limits.py. ``check_expression`` is the deploy-time twin of
``evaluate``: the same refusals, found statically, before anything runs."""
from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any

import simpleeval

from engine.spiff.limits import (
    AST_OPS,
    DENIED_ATTRS,
    SAFE_FUNCTIONS,
    WIDE_SPEC,
    Budget,
    ResourceLimit,
    SandboxError,
    bounded_binop,
    bounded_format,
    bounded_method,
    bounded_range,
)

__all__ = ["check_expression", "evaluate", "static_problems"]

# The methods an expression may call (deploy-time check; the evaluator itself bounds what they build).
_METHODS = frozenset({"lower", "upper", "strip", "startswith", "endswith", "get", "keys", "values",
                      "items", "split", "join", "replace", "count", "index"})


class _Evaluator(simpleeval.EvalWithCompoundTypes):  # untyped library: an Any base, allowed in the seam
    """simpleeval, with the size-guarded operators, no allocating str methods, and the budget of
    engine/spiff/limits.py ticked at every node: `sum([sum(range(99999)) for i in range(9999)])` and
    `[[0] * 99999 for i in range(9999)]` are each within every size limit, one item at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = Budget("表达式")

    def _eval(self, node: ast.AST) -> Any:
        self.budget.tick()
        return super()._eval(node)

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        if node.attr in DENIED_ATTRS:
            raise simpleeval.FeatureNotAvailable(f'attribute ".{node.attr}" is not allowed')
        item = super()._eval_attribute(node)
        return bounded_method(getattr(item, "__self__", None), node.attr, item)

    def _check_disallowed_items(self, item: Any) -> None:
        """simpleeval's check, visiting each container once: its own walk of `[[0] * n] * n` is n*n."""
        seen, stack, visited = set(), [item], 0
        while stack:
            x = stack.pop()
            visited += 1
            if visited % 1024 == 0:
                self.budget.tick()
            if id(x) in seen or type(x) in (int, float, str, bool, type(None), bytes):
                continue
            seen.add(id(x))
            if isinstance(x, (list, tuple, set, frozenset, dict)):
                stack.extend(x.values() if isinstance(x, dict) else x)
            else:
                super()._check_disallowed_items(x)  # a leaf: module / forbidden-function check

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> Any:
        if node.format_spec:
            return bounded_format(self._eval(node.value), self._eval(node.format_spec))
        return super()._eval_formattedvalue(node)


_OPERATORS = {**simpleeval.DEFAULT_OPERATORS, **{k: functools.partial(bounded_binop, v) for k, v in AST_OPS.items()}}


def evaluate(expression: str, names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> Any:
    """The value of ``expression`` over ``names`` (task data), calling only ``functions``: values of
    any type in and out, as BPMN text computes them."""
    ev = _Evaluator(operators=_OPERATORS, functions=dict(functions), names=names)
    return ev.eval(expression, previously_parsed=_parse(expression))


@functools.lru_cache(maxsize=2048)
def _parse(expression: str) -> ast.expr:
    """Parsed once per distinct text: a process evaluates the same few conditions and timers over and
    over. One expression, never statements; the tree is only read by the evaluator."""
    return ast.parse(expression.strip(), mode="eval").body


_FOLDABLE = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.List, ast.Tuple, ast.expr_context, ast.operator,
             ast.unaryop)


def static_problems(tree: ast.AST) -> list[tuple[int, str]]:
    """Bombs visible in the source (of an expression or a script): arithmetic/range() of constants,
    `while True` without break, a huge format width. Constant subtrees are folded by the sandboxed
    evaluator itself, with no names and no functions but the bounded range, so nothing user-defined
    runs; anything else is left to run time."""
    problems: set[tuple[int, str]] = set()
    folder = _Evaluator(operators=_OPERATORS, functions={"range": bounded_range}, names={})
    for n in ast.walk(tree):
        if (isinstance(n, ast.BinOp) or (isinstance(n, ast.Call) and getattr(n.func, "id", None) == "range")) \
                and all(isinstance(m, _FOLDABLE) or m is n for m in ast.walk(n)):
            try:
                folder.eval("", previously_parsed=n)
            except ResourceLimit as e:
                problems.add((n.lineno, e.message))
            except Exception:  # noqa: BLE001 -- a name, a type error...: a run-time matter
                pass
        elif isinstance(n, ast.While) and isinstance(n.test, ast.Constant) and n.test.value and not any(
                isinstance(m, (ast.Break, ast.Return, ast.Raise)) for b in n.body for m in ast.walk(b)):
            problems.add((n.lineno, "endless loop: `while True` without break"))
        elif isinstance(n, ast.FormattedValue) and n.format_spec and WIDE_SPEC.search(ast.unparse(n.format_spec)):
            problems.add((n.lineno, "format spec with a huge width is not allowed"))
    return sorted(problems)


def check_expression(expression: str, function_names: Collection[str]) -> None:
    """Deploy-time check of a condition/timer/DMN expression; runs nothing. ``function_names``: the
    functions of engine/rules/functions.py (the safe builtins are always allowed)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        raise SandboxError(f"not a valid expression: {e.msg} (line {e.lineno})") from None
    callable_names = set(function_names) | set(SAFE_FUNCTIONS)
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and (n.attr.startswith("_") or n.attr in DENIED_ATTRS):
            raise SandboxError(f'attribute ".{n.attr}" is not allowed')
        if isinstance(n, ast.Name) and n.id.startswith("__"):
            raise SandboxError(f'name "{n.id}" is not allowed')
        if isinstance(n, (ast.Lambda, ast.NamedExpr, ast.Starred)):
            raise SandboxError(f"{type(n).__name__} is not allowed in expressions")
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Name) and n.func.id not in callable_names:
                raise SandboxError(f'unknown function "{n.func.id}"')
            if isinstance(n.func, ast.Attribute) and n.func.attr not in _METHODS:
                raise SandboxError(f'method ".{n.func.attr}()" is not allowed')
            if not isinstance(n.func, (ast.Name, ast.Attribute)):
                raise SandboxError("only calls of named functions or allowed methods are allowed")
    problems = static_problems(tree)
    if problems:
        raise SandboxError(problems[0][1])
