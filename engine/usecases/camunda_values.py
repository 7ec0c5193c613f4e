"""Camunda 7's typed variables (``{"name": {"value": …, "type": "String", "valueInfo": {}}}``) to
and from process data, for the external-task REST API.

Only types a form could hold or JSON can carry are taken; a serialized Java object, a file or bytes
is refused with the variable named, as a form refuses a field."""
from __future__ import annotations

import json
import re
from typing import Any

from engine.errors import BadInput

__all__ = ["from_typed", "to_typed"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_INT32 = 2**31


def to_typed(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        return {"type": "Integer" if -_INT32 <= value < _INT32 else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, ensure_ascii=False, default=str), "valueInfo": {}}


def _bad(name: str, why: str) -> BadInput:
    return BadInput(f"变量 {name}: {why}", fields={f"variables.{name}": {"key": "form.invalid", "message": why}})


def _one(name: str, typed: Any) -> Any:
    if not isinstance(typed, dict):
        raise _bad(name, "必须是 {\"value\", \"type\"} 对象 (a typed value object)")
    kind = str(typed.get("type") or "").lower()
    value = typed.get("value")
    if value is None or kind == "null":
        return None
    checks: dict[str, tuple[type, ...]] = {"string": (str,), "boolean": (bool,), "integer": (int,),
                                           "long": (int,), "short": (int,), "double": (int, float), "date": (str,)}
    if kind in checks:
        if not isinstance(value, checks[kind]) or (kind != "boolean" and isinstance(value, bool)):
            raise _bad(name, f"值与类型 {typed.get('type')} 不符 (the value is not a {typed.get('type')})")
        return float(value) if kind == "double" and isinstance(value, (int, float)) else value
    if kind == "json":
        try:
            return json.loads(value) if isinstance(value, str) else value
        except ValueError:
            raise _bad(name, "不是有效的 JSON (not valid JSON)") from None
    if kind == "" and isinstance(value, (str, int, float, bool, list, dict)):
        return value            # untyped: what JSON says
    raise _bad(name, f"不支持的类型 {typed.get('type')!r} (only String, Boolean, Integer, Long, Double, Date, "
                     "Json and Null variables are taken)")


def from_typed(variables: Any) -> dict[str, Any]:
    """Process data from Camunda's variables map; bad input names the variable."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise BadInput("variables 必须是对象 (variables must be an object)", fields={"variables": {"key": "form.data"}})
    out = {}
    for name, typed in variables.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise _bad(str(name), "变量名无效 (a variable name is a letter then letters, digits, _)")
        out[name] = _one(name, typed)
    return out
