"""Start-form checks a process declares with ``check:<field>`` properties: the field's value must
be accepted by the named expression function, which is then called with it before the instance is
made. A refusal is a field error beside that field, everything typed kept — not a failed step after
the form is gone. E.g. move_in's ``check:building = move_in_desk``: a building no move-in desk
serves (25号楼没有对应的入住办理组) is refused on the start form itself."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import FieldError

PREFIX = "check:"
# the functions a check may name: each takes the field's value and raises ValueError to refuse it
CHECKS = ("move_in_desk",)


def field_checks(properties: dict[str, str]) -> dict[str, str]:
    """field id -> function name, from the process's ``check:<field>`` properties."""
    return {name[len(PREFIX):]: (value or "").strip() for name, value in properties.items()
            if name.startswith(PREFIX) and name[len(PREFIX):]}


def check_problems(properties: dict[str, str], start_fields: set[str]) -> list[str]:
    out = []
    for field, function in field_checks(properties).items():
        if field not in start_fields:
            out.append(f"{PREFIX}{field}: 开始表单没有字段 {field} (the start form has no field {field!r})")
        if function not in CHECKS:
            out.append(f"{PREFIX}{field}: {function!r} 不能用作检查 (a check is one of {', '.join(CHECKS)})")
    return out


def refused_fields(checks: dict[str, str], values: dict[str, Any],
                   functions: dict[str, Callable[..., Any]]) -> dict[str, FieldError]:
    """The fields whose value their check refuses, each with the check's own reason (its Chinese part)."""
    problems: dict[str, FieldError] = {}
    for field, name in checks.items():
        if values.get(field) in (None, "") or name not in CHECKS or name not in functions:
            continue
        try:
            functions[name](values[field])
        except ValueError as e:
            message = str(e).split(" (", 1)[0]
            problems[field] = {"key": f"check.{name}", "message": message}
    return problems
