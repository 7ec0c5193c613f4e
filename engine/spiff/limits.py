"""The size guards both sandboxed evaluators share: the errors, the limits, the bounded operators and
the functions BPMN text may call.

Why one module: an expression (simpleeval, engine/spiff/expressions.py) and a script task
(RestrictedPython, engine/spiff/scripts.py) can build the same bombs (`'a' * 10**9`, `9**9**9`,
`'x'.join(...)`, `f'{1:>999999999}'`), so both route `+ * ** << %`, format specs and the multiplying
methods through the same checks, which refuse *before* the huge value is computed."""
from __future__ import annotations

import ast
import contextvars
import operator
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import simpleeval
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.environment import positive_number

__all__ = ["AST_OPS", "DENIED_ATTRS", "EVAL_MEMORY_MB", "EVAL_SECONDS", "MAX_EXPONENT", "MAX_INT_BITS", "MAX_ITEMS",
           "MAX_SHIFT", "SAFE_FUNCTIONS", "STEP_SECONDS", "WIDE_SPEC", "Budget", "IterableTooLong", "MemoryLimit",
           "NumberTooHigh", "ResourceLimit", "SandboxError", "ScriptTimeout", "StepTimeout", "bounded_binop",
           "bounded_format", "bounded_method", "bounded_range", "check_step_budget", "is_bounded_op", "step_budget"]

MAX_ITEMS, MAX_EXPONENT, MAX_INT_BITS, MAX_SHIFT = 100_000, 1000, 10_000, 10_000
# Methods that allocate as much as their argument asks for; `'a'.ljust(10**9)` is a memory bomb.
_AMPLIFIERS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
DENIED_ATTRS = frozenset({"format", "format_map", "mro"}) | INSPECT_ATTRIBUTES | _AMPLIFIERS
AST_OPS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<",
                                          ast.Mod: "%"}
# A width/precision of 6+ digits or `*` in '%' formatting (`'%999999999d' % 1`) or a format spec.
_WIDE_PERCENT = re.compile(r"%(?:\([^)]*\))?[^a-zA-Z%(]*?(\*|\d{6,})")
WIDE_SPEC = re.compile(r"\d{6,}")


class SandboxError(Exception):
    """A BPMN expression or script was refused; `message` says what and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScriptTimeout(SandboxError):
    """The script used up its line or time budget (an endless loop, most likely)."""


class ResourceLimit(SandboxError):
    """An operation would build a huge value (memory/CPU bomb)."""


class MemoryLimit(ResourceLimit):
    """An expression or script grew the process's memory past its budget."""


class StepTimeout(ScriptTimeout):
    """The step as a whole ran past its wall-clock budget."""


class IterableTooLong(ResourceLimit, simpleeval.IterableTooLong):  # untyped library: an Any base, allowed in the seam
    """Also simpleeval's class, so expression errors keep simpleeval's names."""


class NumberTooHigh(ResourceLimit, simpleeval.NumberTooHigh):  # untyped library: an Any base, allowed in the seam
    """Also simpleeval's class, so expression errors keep simpleeval's names."""


# Budgets (README "Limits"): each script task and each expression (gateway condition, DMN cell,
# timer or completion expression) may run EVAL_SECONDS of wall-clock time and grow the process's
# memory by EVAL_MEMORY_MB; a step as a whole (load, fire, act, settle) STEP_SECONDS.
EVAL_SECONDS = positive_number("WUYE_SANDBOX_SECONDS", 1.0)
EVAL_MEMORY_MB = positive_number("WUYE_SANDBOX_MEMORY_MB", 256)
STEP_SECONDS = positive_number("WUYE_STEP_SECONDS", 5.0)
_MEMORY_EVERY = 32           # ticks between two readings of the process's size (a read of /proc)
# (monotonic deadline, the budget in seconds) of the step running in this context, if any
_step_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("wuye_step_deadline",
                                                                                          default=None)


def _resident_bytes() -> int:
    """The process's resident size (Linux /proc; 0 elsewhere, which turns the memory budget off)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@contextmanager
def step_budget(seconds: float | None = None) -> Iterator[None]:
    """The wall-clock budget of one step: every expression and script within it, and the rounds of
    settling, stop once it is spent (StepTimeout), whatever is left of their own budgets."""
    seconds = seconds or STEP_SECONDS
    token = _step_deadline.set((time.monotonic() + seconds, seconds))  # clock-ok: CPU budget, not business time
    try:
        yield
    finally:
        _step_deadline.reset(token)


def check_step_budget() -> None:
    step = _step_deadline.get()
    if step is not None and time.monotonic() > step[0]:  # clock-ok: CPU budget, not business time
        raise StepTimeout(f"步骤超出时间预算 {step[1]:g} 秒 (the step ran past its budget of {step[1]:g} s; "
                          "WUYE_STEP_SECONDS)")


class Budget:
    """What one expression or script may spend: wall-clock time (its own EVAL_SECONDS, and no more
    than what is left of the step's) and memory (EVAL_MEMORY_MB of growth of the process from when
    it began). The evaluator ticks it at every node, the script tracer at every line; once spent it
    keeps raising, so a script that catches the error cannot run on."""

    def __init__(self, what: str, *, seconds: float | None = None, memory_mb: float | None = None) -> None:
        now = time.monotonic()  # clock-ok: CPU budget, not business time
        self.what, self.seconds, self.memory_mb = what, seconds or EVAL_SECONDS, memory_mb or EVAL_MEMORY_MB
        step = _step_deadline.get()
        self.deadline = min(now + self.seconds, step[0] if step is not None else now + self.seconds)
        self.memory_ceiling: int | None = None     # read at the first check: most expressions never get there
        self.ticks = 0
        self.spent: SandboxError | None = None

    def tick(self) -> None:
        if self.spent is not None:
            raise self.spent
        self.ticks += 1
        if time.monotonic() > self.deadline:  # clock-ok: CPU budget, not business time
            try:
                check_step_budget()
            except StepTimeout as e:
                self.spent = e
                raise
            self.spent = ScriptTimeout(f"{self.what}超出时间预算 {self.seconds:g} 秒 (the {_EN[self.what]} ran "
                                       f"past its budget of {self.seconds:g} s; WUYE_SANDBOX_SECONDS)")
        elif self.ticks % _MEMORY_EVERY == 0 and self._over_memory():
            self.spent = MemoryLimit(f"{self.what}超出内存预算 {self.memory_mb:g} MB (the {_EN[self.what]} grew "
                                     f"past its memory budget of {self.memory_mb:g} MB; WUYE_SANDBOX_MEMORY_MB)")
        if self.spent is not None:
            raise self.spent

    def _over_memory(self) -> bool:
        size = _resident_bytes()
        if self.memory_ceiling is None:
            self.memory_ceiling = size + int(self.memory_mb * 1024 * 1024) if size else 0
        return bool(self.memory_ceiling) and size > self.memory_ceiling

    def exhaust(self, error: SandboxError) -> None:
        """Spend the budget for good with ``error`` (the script's line budget, say)."""
        self.spent = error
        raise error


_EN = {"表达式": "expression", "脚本": "script"}


# Operands, values and results below are whatever BPMN text computes from task data and literals:
# `Any` is their honest type (the guards check them at run time, by isinstance).
_SEQ = (str, bytes, bytearray, list, tuple)
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def bounded_binop(op: str, a: Any, b: Any) -> Any:
    """`a <op> b` for op in `+ * ** << %`, refused *before* computing when the result would be huge."""
    if op == "+" and isinstance(a, _SEQ) and isinstance(b, _SEQ) and len(a) + len(b) > MAX_ITEMS:
        raise IterableTooLong(f"concatenation longer than {MAX_ITEMS} items")
    if op == "*":
        seq, n = (a, b) if isinstance(a, _SEQ) else (b, a)
        if isinstance(seq, _SEQ) and _is_int(n) and len(seq) * n > MAX_ITEMS:
            raise IterableTooLong(f"repetition longer than {MAX_ITEMS} items")
        if _is_int(a) and _is_int(b) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise NumberTooHigh(f"product larger than {MAX_INT_BITS} bits")
    if op == "**" and _is_int(a) and _is_int(b) and b > 0 and (
            b > MAX_EXPONENT or abs(a).bit_length() * b > MAX_INT_BITS):
        raise NumberTooHigh(f"power too large (exponent <= {MAX_EXPONENT}, result <= {MAX_INT_BITS} bits)")
    if op == "%" and isinstance(a, str) and _WIDE_PERCENT.search(a):
        raise IterableTooLong("'%' formatting with a huge or `*` width is not allowed")
    if op == "<<" and _is_int(a) and _is_int(b) and (b > MAX_SHIFT or a.bit_length() + b > MAX_INT_BITS):
        raise NumberTooHigh(f"shift too large (result <= {MAX_INT_BITS} bits)")
    return _OPS[op](a, b)


def is_bounded_op(op: str) -> bool:
    """Whether ``bounded_binop`` takes this operator (augmented assignment asks, e.g. for `*=`)."""
    return op in _OPS


_CONVERSIONS: dict[int, Callable[[Any], str]] = {115: str, 114: repr, 97: ascii}   # !s !r !a


def bounded_format(value: Any, spec: str, conversion: int = -1) -> str:
    """f'{value!conversion:spec}' with the spec checked: f'{1:>999999999}' is a memory bomb."""
    if WIDE_SPEC.search(spec):
        raise IterableTooLong("format spec with a huge width is not allowed")
    return format(_CONVERSIONS[conversion](value) if conversion in _CONVERSIONS else value, spec)


def bounded_method(obj: Any, name: str, method: Any) -> Any:
    """str.join/str.replace/list.extend with the result size checked first (they can multiply)."""
    if name in ("join", "replace", "extend") and getattr(method, "__objclass__", None) in (str, bytes, list):
        raise SandboxError(f"call .{name}() on a value, not on the type")

    def limit(n: int) -> None:
        if n > MAX_ITEMS:
            raise IterableTooLong(f".{name}() result longer than {MAX_ITEMS} items")

    def join(items: Iterable[Any]) -> Any:
        listed = list(items)
        limit(sum(len(i) for i in listed if isinstance(i, _SEQ)) + len(obj) * max(len(listed) - 1, 0))
        return method(listed)

    def replace(old: Any, new: Any, count: int = -1) -> Any:
        hits = obj.count(old) if count < 0 else min(count, obj.count(old))
        limit(len(obj) + hits * max(len(new) - len(old), 0))
        return method(old, new, count)

    def extend(items: Iterable[Any]) -> None:
        listed = list(items)
        limit(len(obj) + len(listed))
        method(listed)

    if isinstance(obj, (str, bytes)) and name in ("join", "replace"):
        return join if name == "join" else replace
    return extend if isinstance(obj, list) and name == "extend" else method


def _numeric_sum(items: Iterable[Any], start: Any = 0) -> Any:
    """sum() of numbers only: `sum([big_list] * n, [])` is a quadratic memory bomb."""
    if not isinstance(start, (int, float)):
        raise TypeError("sum() adds numbers only")
    return sum(items, start)


def bounded_range(*args: int) -> range:
    """range() of at most MAX_ITEMS numbers: `sum(range(10**12))` would run for hours."""
    r = range(*args)
    if (r.stop - r.start) * (1 if r.step > 0 else -1) > MAX_ITEMS * abs(r.step):  # no len(): overflows
        raise IterableTooLong(f"range() longer than {MAX_ITEMS} items")
    return r


SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "str": str, "bool": bool, "len": len, "min": min, "max": max,
    "abs": abs, "round": round, "sum": _numeric_sum, "sorted": sorted, "any": any, "all": all, "list": list,
    "dict": dict, "set": set, "tuple": tuple, "range": bounded_range, "enumerate": enumerate, "zip": zip}
