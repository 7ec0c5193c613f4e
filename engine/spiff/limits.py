"""The size guards both sandboxed evaluators share: the errors, the limits, the bounded operators and
the functions BPMN text may call.

Why one module: an expression (simpleeval, engine/spiff/expressions.py) and a script task
(RestrictedPython, engine/spiff/scripts.py) can build the same bombs (`'a' * 10**9`, `9**9**9`,
`'x'.join(...)`, `f'{1:>999999999}'`), so both route `+ * ** << %`, format specs and the multiplying
methods through the same checks, which refuse *before* the huge value is computed."""
from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

import simpleeval
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

__all__ = ["AST_OPS", "DENIED_ATTRS", "MAX_EXPONENT", "MAX_INT_BITS", "MAX_ITEMS", "MAX_SHIFT", "SAFE_FUNCTIONS",
           "WIDE_SPEC", "IterableTooLong", "NumberTooHigh", "ResourceLimit", "SandboxError", "ScriptTimeout",
           "bounded_binop", "bounded_format", "bounded_method", "bounded_range", "is_bounded_op"]

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


class IterableTooLong(ResourceLimit, simpleeval.IterableTooLong):  # untyped library: an Any base, allowed in the seam
    """Also simpleeval's class, so expression errors keep simpleeval's names."""


class NumberTooHigh(ResourceLimit, simpleeval.NumberTooHigh):  # untyped library: an Any base, allowed in the seam
    """Also simpleeval's class, so expression errors keep simpleeval's names."""


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
