"""The script-engine sandbox: the ONLY module of wuye allowed to call eval/exec.

Why: SpiffWorkflow's stock engine runs BPMN text (gateway conditions, timer expressions, DMN
cells, script tasks) with plain eval/exec and full builtins, so anyone who can deploy a BPMN
file could run ``__import__('os').system(...)`` on the server. Here expressions go through
simpleeval and script tasks through RestrictedPython, both further bounded (CPU lines, time,
big-number and repetition bombs), and the deploy-time checks refuse the same things statically,
before anything runs. The environment is not serialized: set ``wf.script_engine`` after a load.

Not covered (in-process Python cannot bound everything): C-level work on values that are each
within limits, e.g. str() of a list holding one 100,000-item list 100,000 times. Run workflow
steps in a worker process with RLIMIT_AS and a wall-clock kill as the outer fence.
"""
from __future__ import annotations

import ast
import functools
import operator
import re
import sys
import time
import types
from typing import Any, Callable

import simpleeval
from RestrictedPython import PrintCollector, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence,
                                     guarded_unpack_sequence, safer_getattr)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

__all__ = ["SandboxError", "ScriptTimeout", "ResourceLimit", "IterableTooLong",
           "NumberTooHigh", "SandboxEnvironment", "SAFE_FUNCTIONS",
           "check_expression", "check_script", "sandbox_script_engine"]

# '<string>': PythonScriptEngine finds the failing line of a script through frames of that name.
SCRIPT_FILENAME = "<string>"
MAX_ITEMS, MAX_EXPONENT, MAX_INT_BITS, MAX_SHIFT = 100_000, 1000, 10_000, 10_000
MAX_LINES, MAX_SECONDS = 200_000, 2.0
# Methods that allocate as much as their argument asks for; `'a'.ljust(10**9)` is a memory bomb.
_AMPLIFIERS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_DENIED_ATTRS = frozenset({"format", "format_map", "mro"}) | INSPECT_ATTRIBUTES | _AMPLIFIERS
_METHODS = frozenset({"lower", "upper", "strip", "startswith", "endswith", "get", "keys", "values",
                      "items", "split", "join", "replace", "count", "index"})
# Builtins that are not in the sandbox anyway; calling them is refused statically with a reason.
_FORBIDDEN_CALLS = frozenset({"__import__", "eval", "exec", "compile", "open", "input", "breakpoint",
                              "help", "type", "vars", "globals", "locals", "dir", "getattr", "setattr",
                              "delattr", "hasattr", "memoryview", "object", "super", "exit", "quit", "pow"})


class SandboxError(Exception):
    """A BPMN expression or script was refused; `message` says what and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScriptTimeout(SandboxError):
    """The script used up its line or time budget (an endless loop, most likely)."""


class ResourceLimit(SandboxError):
    """An operation would build a huge value (memory/CPU bomb)."""


class IterableTooLong(ResourceLimit, simpleeval.IterableTooLong):
    """Also simpleeval's class, so expression errors keep simpleeval's names."""


class NumberTooHigh(ResourceLimit, simpleeval.NumberTooHigh):
    """Also simpleeval's class, so expression errors keep simpleeval's names."""


_SEQ = (str, bytes, bytearray, list, tuple)
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}
_INPLACE = {"-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv,
            ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor}
_AST_OPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
# A width/precision of 6+ digits or `*` in '%' formatting (`'%999999999d' % 1`) or a format spec.
_WIDE_PERCENT = re.compile(r"%(?:\([^)]*\))?[^a-zA-Z%(]*?(\*|\d{6,})")
_WIDE_SPEC = re.compile(r"\d{6,}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _wuye_binop_(op: str, a: Any, b: Any) -> Any:
    """`a <op> b`, refused *before* computing when the result would be huge."""
    if op == "+" and isinstance(a, _SEQ) and isinstance(b, _SEQ) and len(a) + len(b) > MAX_ITEMS:
        raise IterableTooLong(f"concatenation longer than {MAX_ITEMS} items")
    if op == "*":
        seq, n = (a, b) if isinstance(a, _SEQ) else (b, a)
        if isinstance(seq, _SEQ) and _is_int(n) and len(seq) * n > MAX_ITEMS:
            raise IterableTooLong(f"repetition longer than {MAX_ITEMS} items")
        if _is_int(a) and _is_int(b) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise NumberTooHigh(f"product larger than {MAX_INT_BITS} bits")
    if op == "**" and _is_int(a) and _is_int(b) and b > 0:
        if b > MAX_EXPONENT or abs(a).bit_length() * b > MAX_INT_BITS:
            raise NumberTooHigh(f"power too large (exponent <= {MAX_EXPONENT}, result <= {MAX_INT_BITS} bits)")
    if op == "%" and isinstance(a, str) and _WIDE_PERCENT.search(a):
        raise IterableTooLong("'%' formatting with a huge or `*` width is not allowed")
    if op == "<<" and _is_int(a) and _is_int(b) and (b > MAX_SHIFT or a.bit_length() + b > MAX_INT_BITS):
        raise NumberTooHigh(f"shift too large (result <= {MAX_INT_BITS} bits)")
    return _OPS[op](a, b)


def _wuye_format_(value: Any, spec: str, conversion: int = -1) -> str:
    """f'{value!conversion:spec}' with the spec checked: f'{1:>999999999}' is a memory bomb."""
    if _WIDE_SPEC.search(spec):
        raise IterableTooLong("format spec with a huge width is not allowed")
    return format({115: str, 114: repr, 97: ascii}.get(conversion, lambda v: v)(value), spec)


def _bounded_method(obj: Any, name: str, method: Any) -> Any:
    """str.join/str.replace/list.extend with the result size checked first (they can multiply)."""
    if name in ("join", "replace", "extend") and getattr(method, "__objclass__", None) in (str, bytes, list):
        raise SandboxError(f"call .{name}() on a value, not on the type")

    def limit(n: int) -> None:
        if n > MAX_ITEMS:
            raise IterableTooLong(f".{name}() result longer than {MAX_ITEMS} items")

    def join(items: Any) -> Any:
        items = list(items)
        limit(sum(len(i) for i in items if isinstance(i, _SEQ)) + len(obj) * max(len(items) - 1, 0))
        return method(items)

    def replace(old: Any, new: Any, count: int = -1) -> Any:
        hits = obj.count(old) if count < 0 else min(count, obj.count(old))
        limit(len(obj) + hits * max(len(new) - len(old), 0))
        return method(old, new, count)

    def extend(items: Any) -> None:
        items = list(items)
        limit(len(obj) + len(items))
        method(items)

    if isinstance(obj, (str, bytes)) and name in ("join", "replace"):
        return join if name == "join" else replace
    return extend if isinstance(obj, list) and name == "extend" else method


def _numeric_sum(items: Any, start: Any = 0) -> Any:
    """sum() of numbers only: `sum([big_list] * n, [])` is a quadratic memory bomb."""
    if not isinstance(start, (int, float)):
        raise TypeError("sum() adds numbers only")
    return sum(items, start)


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if (r.stop - r.start) * (1 if r.step > 0 else -1) > MAX_ITEMS * abs(r.step):  # no len(): overflows
        raise IterableTooLong(f"range() longer than {MAX_ITEMS} items")
    return r


SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "str": str, "bool": bool, "len": len, "min": min, "max": max,
    "abs": abs, "round": round, "sum": _numeric_sum, "sorted": sorted, "any": any, "all": all, "list": list,
    "dict": dict, "set": set, "tuple": tuple, "range": _bounded_range, "enumerate": enumerate, "zip": zip}
_EXCEPTIONS = {k: v for k, v in safe_builtins.items() if isinstance(v, type) and issubclass(v, Exception)}


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    """simpleeval, with the size-guarded operators and no allocating str methods."""

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        if node.attr in _DENIED_ATTRS:
            raise simpleeval.FeatureNotAvailable(f'attribute ".{node.attr}" is not allowed')
        item = super()._eval_attribute(node)
        return _bounded_method(getattr(item, "__self__", None), node.attr, item)

    def _check_disallowed_items(self, item: Any) -> None:
        """simpleeval's check, visiting each container once: its own walk of `[[0] * n] * n` is n*n."""
        seen, stack = set(), [item]
        while stack:
            x = stack.pop()
            if id(x) in seen or type(x) in (int, float, str, bool, type(None), bytes):
                continue
            seen.add(id(x))
            if isinstance(x, (list, tuple, set, frozenset, dict)):
                stack.extend(x.values() if isinstance(x, dict) else x)
            else:
                super()._check_disallowed_items(x)  # a leaf: module / forbidden-function check

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> Any:
        if node.format_spec:
            return _wuye_format_(self._eval(node.value), self._eval(node.format_spec))
        return super()._eval_formattedvalue(node)


_EXPR_OPERATORS = {**simpleeval.DEFAULT_OPERATORS,
                   **{k: functools.partial(_wuye_binop_, v) for k, v in _AST_OPS.items()}}


_FOLDABLE = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.List, ast.Tuple, ast.expr_context, ast.operator,
             ast.unaryop)


def _static_problems(tree: ast.AST) -> list[tuple[int, str]]:
    """Bombs visible in the source: arithmetic/range() of constants, `while True` without break.
    Constant subtrees are folded by the sandboxed evaluator itself, with no names and no functions
    but the bounded range, so nothing user-defined runs; anything else is left to run time."""
    problems: set[tuple[int, str]] = set()
    folder = _Evaluator(operators=_EXPR_OPERATORS, functions={"range": _bounded_range}, names={})
    for n in ast.walk(tree):
        if (isinstance(n, ast.BinOp) or isinstance(n, ast.Call) and getattr(n.func, "id", None) == "range") \
                and all(isinstance(m, _FOLDABLE) or m is n for m in ast.walk(n)):
            try:
                folder.eval("", previously_parsed=n)
            except ResourceLimit as e:
                problems.add((n.lineno, e.message))
            except Exception:  # a name, a type error...: a run-time matter
                pass
        elif isinstance(n, ast.While) and isinstance(n.test, ast.Constant) and n.test.value and not any(
                isinstance(m, (ast.Break, ast.Return, ast.Raise)) for b in n.body for m in ast.walk(b)):
            problems.add((n.lineno, "endless loop: `while True` without break"))
        elif isinstance(n, ast.FormattedValue) and n.format_spec and _WIDE_SPEC.search(ast.unparse(n.format_spec)):
            problems.add((n.lineno, "format spec with a huge width is not allowed"))
    return sorted(problems)


def _call(name: str, *args: ast.expr, at: ast.AST) -> ast.Call:
    return ast.fix_missing_locations(ast.copy_location(
        ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[]), at))


class WuyePolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports/classes, no format/amplifier attributes, no calls
    of dangerous builtins, size-guarded `+ * ** <<`, and a budget check at the top of every
    except/finally block (the tracer is switched off once it raised, so a script that catches
    ScriptTimeout must not get to run on)."""

    def visit_Module(self, node: ast.Module) -> ast.AST:
        self.errors.extend(f"Line {line}: {msg}" for line, msg in _static_problems(node))
        return super().visit_Module(node)

    def visit_Import(self, node: ast.AST) -> ast.AST:
        self.error(node, "import is not allowed in BPMN scripts")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed in BPMN scripts")
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr in _DENIED_ATTRS:
            self.error(node, f'attribute ".{node.attr}" is not allowed')
        return super().visit_Attribute(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f'calling "{node.func.id}" is not allowed')
        return super().visit_Call(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        if type(node.op) not in _AST_OPS:
            return node
        return _call("_wuye_binop_", ast.Constant(_AST_OPS[type(node.op)]), node.left, node.right, at=node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        args = (node.value, node.format_spec, ast.Constant(node.conversion))
        return ast.copy_location(ast.FormattedValue(_call("_wuye_format_", *args, at=node), -1, None), node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_wuye_budget_", at=node)), node))
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        node = super().visit_Try(node)
        if node.finalbody:
            first = node.finalbody[0]
            node.finalbody.insert(0, ast.copy_location(ast.Expr(_call("_wuye_budget_", at=first)), first))
        return node


class _Budget:
    """Counts line events of sandboxed frames; raises ScriptTimeout, and keeps raising once spent."""

    def __init__(self) -> None:
        self.lines = 0
        self.deadline = time.monotonic() + MAX_SECONDS  # clock-ok: CPU budget, not business time
        self.spent = False

    def check(self) -> None:
        if self.spent:
            raise ScriptTimeout(f"script exceeded its budget ({MAX_LINES} lines or {MAX_SECONDS} s)")

    def on_call(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        return self.on_line if frame.f_code.co_filename == SCRIPT_FILENAME else None

    def on_line(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
            if self.lines > MAX_LINES or time.monotonic() > self.deadline:  # clock-ok: CPU budget, not business time
                self.spent = True
            self.check()
        return self.on_line


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    if name in _DENIED_ATTRS:
        raise AttributeError(f'attribute ".{name}" is not allowed')
    return _bounded_method(obj, name, safer_getattr(obj, name, default))


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    """`x op= y` (RestrictedPython rewrites it to this call); the same size guard as `x op y`."""
    return _wuye_binop_(op[:-1], x, y) if op[:-1] in _OPS else _INPLACE[op](x, y)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Expressions (conditions, timers, DMN cells, correlations) -> simpleeval; scripts -> RestrictedPython."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None) -> None:
        super().__init__({})
        self.functions = {**SAFE_FUNCTIONS, **(functions or {})}
        self.guards: dict[str, Any] = {
            "__builtins__": {**_EXCEPTIONS, **self.functions},
            "_getattr_": _guarded_getattr, "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter, "_write_": full_write_guard,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_inplacevar_": _inplacevar,
            "_print_": PrintCollector, "_wuye_binop_": _wuye_binop_, "_wuye_format_": _wuye_format_}

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """DMN passes `dmninputexpr` (the `?` of a cell) in external_context; task data wins."""
        ev = _Evaluator(operators=_EXPR_OPERATORS, functions=dict(self.functions),
                        names={**(external_context or {}), **context})
        return ev.eval(expression, previously_parsed=_parse_expression(expression))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        res = _compile_script(script)
        if res.errors:  # give the SyntaxError a lineno, else PythonScriptEngine dies with TypeError
            n, lines = _error_line(res.errors[0]), script.splitlines() or [""]
            raise SyntaxError(res.errors[0], (SCRIPT_FILENAME, n, 1, lines[min(n, len(lines)) - 1]))
        ext, budget = external_context or {}, _Budget()
        env = {**ext, **context, **self.guards, "_wuye_budget_": budget.check}  # data as globals
        previous = sys.gettrace()
        sys.settrace(budget.on_call)
        try:
            exec(res.code, env)
        finally:
            sys.settrace(previous)
        for k in [k for k in context if k not in env]:  # `del x` in the script
            del context[k]
        for k, v in env.items():  # copy back plain data only (no guards, functions, `_print`)
            if k not in self.guards and k not in ext and (k in context or not k.startswith("_")) \
                    and not callable(v) and not isinstance(v, types.ModuleType):
                context[k] = v
        return True


@functools.lru_cache(maxsize=2048)
def _parse_expression(expression: str) -> ast.expr:
    """Parsed once per distinct text: a process evaluates the same few conditions and timers over and
    over. One expression, never statements; the tree is only read by the evaluator."""
    return ast.parse(expression.strip(), mode="eval").body


@functools.lru_cache(maxsize=1024)
def _compile_script(script: str):
    """Compiled once per distinct script (the result holds an immutable code object, or the errors)."""
    return compile_restricted_exec(script, filename=SCRIPT_FILENAME, policy=WuyePolicy)


def _error_line(error: str) -> int:
    """RestrictedPython's errors read 'Line N: ...'."""
    head = error.split(":", 1)[0]
    return int(head[5:]) if head.startswith("Line ") and head[5:].isdigit() else 1


def check_expression(expression: str, function_names: set[str]) -> None:
    """Deploy-time check of a condition/timer/DMN expression; runs nothing."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        raise SandboxError(f"not a valid expression: {e.msg} (line {e.lineno})") from None
    callable_names = set(function_names) | set(SAFE_FUNCTIONS)
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and (n.attr.startswith("_") or n.attr in _DENIED_ATTRS):
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
    problems = _static_problems(tree)
    if problems:
        raise SandboxError(problems[0][1])


def check_script(script: str) -> None:
    """Deploy-time check of a script task, with the same policy as at run time; runs nothing."""
    res = compile_restricted_exec(script, filename=SCRIPT_FILENAME, policy=WuyePolicy)
    if res.errors:
        raise SandboxError("; ".join(f"line {_error_line(e)}: {e.split(': ', 1)[-1]}" for e in res.errors))


def sandbox_script_engine(functions: dict[str, Callable[..., Any]]) -> PythonScriptEngine:
    """The engine to give every BpmnWorkflow, including after every deserialize_json."""
    return PythonScriptEngine(environment=SandboxEnvironment(functions))
