"""BPMN script tasks in RestrictedPython: the policy (what a script may say) and the budget (how long
it may run).

Why more than RestrictedPython's defaults: its policy still allows imports of whatever the builtins
hold, class definitions, `str.format` and the allocating str methods, and it sets no limit on
time or size: `while True: pass` runs forever and `'a' * 10**8` succeeds. Here the policy refuses
those statically, the size-guarded operators of engine/spiff/limits.py replace `+ * ** << %`, and a
line/time budget traced over the script's own frames stops endless loops, even ones that catch the
timeout. ``check_script`` is the deploy-time twin of ``ScriptRunner.run``: the same policy, run
nothing."""
from __future__ import annotations

import ast
import functools
import operator
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from RestrictedPython.compile import CompileResult, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer

from engine.spiff.expressions import static_problems
from engine.spiff.limits import (
    AST_OPS,
    DENIED_ATTRS,
    EVAL_SECONDS,
    Budget,
    SandboxError,
    ScriptTimeout,
    bounded_binop,
    bounded_format,
    bounded_method,
    is_bounded_op,
)

__all__ = ["MAX_LINES", "MAX_SECONDS", "SCRIPT_FILENAME", "ScriptRunner", "check_script"]

# '<string>': PythonScriptEngine finds the failing line of a script through frames of that name.
SCRIPT_FILENAME = "<string>"
MAX_LINES, MAX_SECONDS = 200_000, EVAL_SECONDS
# Builtins that are not in the sandbox anyway; calling them is refused statically with a reason.
_FORBIDDEN_CALLS = frozenset({"__import__", "eval", "exec", "compile", "open", "input", "breakpoint",
                              "help", "type", "vars", "globals", "locals", "dir", "getattr", "setattr",
                              "delattr", "hasattr", "memoryview", "object", "super", "exit", "quit", "pow"})
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv, ">>=": operator.irshift,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor}
# What RestrictedPython's visit_* methods return (a node, several, or None to drop it).
_Visited = ast.AST | Iterable[ast.AST] | None
# sys.settrace's protocol: called with the frame, the event and its argument (anything: a return
# value, an exception triple), it returns the tracer for the frame's lines, or None for none.
_Tracer = Callable[[types.FrameType, str, Any], "_Tracer | None"]
_EXCEPTIONS = {k: v for k, v in safe_builtins.items() if isinstance(v, type) and issubclass(v, Exception)}


def _call(name: str, *args: ast.expr, at: ast.AST) -> ast.Call:
    return ast.fix_missing_locations(ast.copy_location(
        ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[]), at))


class WuyePolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports/classes, no format/amplifier attributes, no calls
    of dangerous builtins, size-guarded `+ * ** <<`, and a budget check at the top of every
    except/finally block (the tracer is switched off once it raised, so a script that catches
    ScriptTimeout must not get to run on)."""

    def visit_Module(self, node: ast.Module) -> _Visited:
        self.errors.extend(f"Line {line}: {msg}" for line, msg in static_problems(node))
        return super().visit_Module(node)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        self.error(node, "import is not allowed in BPMN scripts")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed in BPMN scripts")
        return node

    def visit_Attribute(self, node: ast.Attribute) -> _Visited:
        if node.attr in DENIED_ATTRS:
            self.error(node, f'attribute ".{node.attr}" is not allowed')
        return super().visit_Attribute(node)

    def visit_Call(self, node: ast.Call) -> _Visited:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f'calling "{node.func.id}" is not allowed')
        return super().visit_Call(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        if type(node.op) not in AST_OPS:
            return node
        return _call("_wuye_binop_", ast.Constant(AST_OPS[type(node.op)]), node.left, node.right, at=node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        args = (node.value, node.format_spec, ast.Constant(node.conversion))
        return ast.copy_location(ast.FormattedValue(_call("_wuye_format_", *args, at=node), -1, None), node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        handler = cast(ast.ExceptHandler, super().visit_ExceptHandler(node))  # the node it was given
        handler.body.insert(0, ast.copy_location(ast.Expr(_call("_wuye_budget_", at=handler)), handler))
        return handler

    def visit_Try(self, node: ast.Try) -> ast.AST:
        tried = cast(ast.Try, super().visit_Try(node))  # the node it was given
        if tried.finalbody:
            first = tried.finalbody[0]
            tried.finalbody.insert(0, ast.copy_location(ast.Expr(_call("_wuye_budget_", at=first)), first))
        return tried


class _Budget(Budget):
    """The shared budget (engine/spiff/limits.py), ticked at each line event of sandboxed frames,
    plus a count of those lines."""

    def __init__(self) -> None:
        super().__init__("脚本", seconds=MAX_SECONDS)

    def check(self) -> None:
        if self.spent is not None:
            raise self.spent

    def on_call(self, frame: types.FrameType, event: str, arg: Any) -> _Tracer | None:
        return self.on_line if frame.f_code.co_filename == SCRIPT_FILENAME else None

    def on_line(self, frame: types.FrameType, event: str, arg: Any) -> _Tracer:
        if event == "line":
            if self.ticks >= MAX_LINES:
                self.exhaust(ScriptTimeout(f"脚本超出行数预算 {MAX_LINES} 行 (script exceeded its budget of "
                                           f"{MAX_LINES} lines)"))
            self.tick()
        return self.on_line


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """`obj.name` in a script (RestrictedPython rewrites it to this call); any value of the script's."""
    if name in DENIED_ATTRS:
        raise AttributeError(f'attribute ".{name}" is not allowed')
    return bounded_method(obj, name, safer_getattr(obj, name, default))  # type: ignore[no-untyped-call]  # RestrictedPython leaves it unannotated


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    """`x op= y` (RestrictedPython rewrites it to this call); the same size guard as `x op y`."""
    return bounded_binop(op[:-1], x, y) if is_bounded_op(op[:-1]) else _INPLACE[op](x, y)


class ScriptRunner:
    """Runs script tasks with the task data as globals (so comprehensions see it) and copies the
    plain data back, as SpiffWorkflow's own TaskDataEnvironment does: callables, modules, the guards
    and `_`-names the script made up never reach the task data."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        # A script's globals besides its data: RestrictedPython's guards, each with its own signature.
        self.guards: dict[str, Any] = {
            "__builtins__": {**_EXCEPTIONS, **functions},
            "_getattr_": _guarded_getattr, "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter, "_write_": full_write_guard,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_inplacevar_": _inplacevar,
            "_print_": PrintCollector, "_wuye_binop_": bounded_binop, "_wuye_format_": bounded_format}

    def run(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any]) -> None:
        """Run ``script`` over ``context`` (the task data, updated in place). A refused script raises
        SyntaxError with a line number, else PythonScriptEngine dies with a TypeError on it."""
        res = _compile(script)
        if res.errors:
            n, lines = _error_line(res.errors[0]), script.splitlines() or [""]
            raise SyntaxError(res.errors[0], (SCRIPT_FILENAME, n, 1, lines[min(n, len(lines)) - 1]))
        budget = _Budget()
        env = {**external_context, **context, **self.guards, "_wuye_budget_": budget.check}  # data as globals
        previous = sys.gettrace()
        sys.settrace(budget.on_call)
        try:
            # the sandbox itself: code RestrictedPython compiled (res.code is set when there are no errors)
            exec(cast(types.CodeType, res.code), env)  # eval-ok
        finally:
            sys.settrace(previous)
        for k in [k for k in context if k not in env]:  # `del x` in the script
            del context[k]
        for k, v in env.items():  # copy back plain data only (no guards, functions, `_print`)
            if k not in self.guards and k not in external_context and (k in context or not k.startswith("_")) \
                    and not callable(v) and not isinstance(v, types.ModuleType):
                context[k] = v


@functools.lru_cache(maxsize=1024)
def _compile(script: str) -> CompileResult:
    """Compiled once per distinct script (the result holds an immutable code object, or the errors)."""
    return compile_restricted_exec(script, filename=SCRIPT_FILENAME, policy=WuyePolicy)


def _error_line(error: str) -> int:
    """RestrictedPython's errors read 'Line N: ...'."""
    head = error.split(":", 1)[0]
    return int(head[5:]) if head.startswith("Line ") and head[5:].isdigit() else 1


def check_script(script: str) -> None:
    """Deploy-time check of a script task, with the same policy as at run time; runs nothing."""
    res = _compile(script)
    if res.errors:
        raise SandboxError("; ".join(f"line {_error_line(e)}: {e.split(': ', 1)[-1]}" for e in res.errors))
