"""What any value typed or sent to wuye must be before anything else reads it (issue 14, findings
7-11): the one place the forms, the JSON API bodies, query strings and URLs, and the command line
check text, numbers, JSON and instants at their limits.

- text: no NUL (PostgreSQL refuses it in text and JSON; SQLite would store it silently) and no lone
  surrogate ("\\ud800": it has no UTF-8, so hashing it into the audit chain fails), in values and keys;
- integers: at most ``MAX_INT_DIGITS`` digits (a 401-digit one overflows a float; Python refuses
  to read more than 4,300 digits at all), numbers finite, JSON nested at most ``MAX_DEPTH`` deep;
- numbers typed as text: ASCII digits only (what a 客服 types), not Arabic-Indic (U+0661) or
  full-width (U+FF11) digits that ``int()`` and ``float()`` would accept;
- instants: years ``MIN_YEAR``..``MAX_YEAR``, both in the given offset and in UTC (so
  ``0001-01-01T00:00:00+14:00`` and ``9999-12-31T23:59:59-01:00`` are refused, not an OverflowError).

Each refusal is a BadInput (422 / exit 2) naming the field, row or argument."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from engine.clock import MAX_YEAR, MIN_YEAR, parse_instant
from engine.errors import BadInput, FieldError

__all__ = ["MAX_YEAR", "MIN_YEAR", "Refused", "ascii_decimal", "ascii_integer", "calendar_date", "check_text",
           "check_value", "checked", "instant", "load_json", "printable"]

MAX_INT_DIGITS = 30          # larger than any amount, count or id; a float holds about 17
MAX_DEPTH = 32

_ASCII_INT = re.compile(r"[+-]?[0-9]+")
_ASCII_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

MESSAGES: dict[str, tuple[str, str]] = {
    "input.nul": ("不能包含空字符 (NUL)", "must not contain NUL characters"),
    "input.surrogate": ("包含无效的字符（单独的代理码位）", "contains an invalid character (a lone surrogate)"),
    "input.too_many_digits": (f"数字太长（最多 {MAX_INT_DIGITS} 位）",
                              f"number too long (at most {MAX_INT_DIGITS} digits)"),
    "input.not_finite": ("数字无效", "not a finite number"),
    "input.too_deep": (f"嵌套太深（最多 {MAX_DEPTH} 层）", f"nested too deeply (at most {MAX_DEPTH} levels)"),
    "input.json": ("不是有效的 JSON", "not valid JSON"),
    "input.instant": (f"日期或时间无效，年份须在 {MIN_YEAR} 到 {MAX_YEAR} 之间",
                      f"not a valid date or time with a year from {MIN_YEAR} to {MAX_YEAR}"),
}


class Refused(ValueError):
    """One value refused: the message key (see MESSAGES) and where, as a path (``data.room``)."""

    def __init__(self, key: str, where: str) -> None:
        super().__init__(f"{where}: {MESSAGES[key][1]}")
        self.key, self.where = key, where

    def error(self) -> FieldError:
        zh, en = MESSAGES[self.key]
        return {"key": self.key, "message": zh, "en": en}

    def bad_input(self) -> BadInput:
        zh, en = MESSAGES[self.key]
        return BadInput(f"{self.where}: {zh} ({en})", fields={self.where: self.error()})


def printable(text: str) -> str:
    """``text`` safe to name in a message or a JSON key: NUL and lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def check_text(text: str, where: str) -> str:
    """``text`` if it has no NUL and no lone surrogate, else Refused naming ``where``."""
    if "\x00" in text:
        raise Refused("input.nul", printable(where))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused("input.surrogate", printable(where)) from None
    return text


def check_value(value: Any, where: str, depth: int = 0) -> Any:
    """A JSON value as parsed (dicts, lists, text, numbers, booleans, None), checked all through:
    keys and strings by ``check_text``, integers by their digits, floats finite. Returns it."""
    if depth > MAX_DEPTH:
        raise Refused("input.too_deep", where)
    if isinstance(value, str):
        return check_text(value, where)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_DIGITS * 3.33:     # cheap first: no str() of a huge int
            raise Refused("input.too_many_digits", where)
        if len(str(abs(value))) > MAX_INT_DIGITS:
            raise Refused("input.too_many_digits", where)
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Refused("input.not_finite", where)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            check_text(str(key), path)
            check_value(item, path, depth + 1)
        return value
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_value(item, f"{where}[{i}]", depth + 1)
        return value
    return value


def checked(value: Any, where: str) -> Any:
    """``check_value`` with a refusal as BadInput (422 / exit 2) naming the field."""
    try:
        return check_value(value, where)
    except Refused as e:
        raise e.bad_input() from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(text: str, where: str) -> Any:
    """JSON typed on the command line (or sent): parsed, checked, and any refusal a BadInput naming
    ``where`` — a 5,000-digit integer (past Python's 4,300), NaN, a lone surrogate — never a traceback."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant,
                           parse_int=lambda digits: _int_digits(digits, where))
    except Refused as e:
        raise e.bad_input() from None
    except json.JSONDecodeError as e:
        raise BadInput(f"{where}: 不是有效的 JSON (invalid JSON: {e.msg} at line {e.lineno} column {e.colno})",
                       fields={where: {"key": "input.json", "message": MESSAGES["input.json"][0],
                                       "en": f"{e.msg} at line {e.lineno} column {e.colno}"}}) from None
    except (ValueError, RecursionError) as e:
        raise BadInput(f"{where}: 不是有效的 JSON (invalid JSON: {str(e)[:100]})",
                       fields={where: {"key": "input.json", "message": MESSAGES["input.json"][0],
                                       "en": str(e)[:100]}}) from None
    return checked(value, where)


def _int_digits(digits: str, where: str) -> int:
    """Past what Python reads at all (4,300 digits) the field cannot be told yet: the whole argument
    is named; anything shorter is read, and ``checked`` names its field."""
    if len(digits.lstrip("-")) > 4000:
        raise Refused("input.too_many_digits", where)
    return int(digits)


def ascii_integer(text: str) -> int | None:
    """The integer a person typed in ASCII digits (spaces around allowed), else None: Arabic-Indic
    and full-width digits are not numbers here, though Python's ``int()`` reads them."""
    s = text.strip()
    if not _ASCII_INT.fullmatch(s) or len(s.lstrip("+-")) > MAX_INT_DIGITS:
        return None
    return int(s)


def ascii_decimal(text: str) -> float | None:
    """The number a person typed in ASCII (``1200.50``, ``-3``, ``1e3``), else None."""
    s = text.strip()
    if not _ASCII_DECIMAL.fullmatch(s) or len(s) > MAX_INT_DIGITS + 10:
        return None
    x = float(s)
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def calendar_date(text: str) -> date:
    """A date typed alone (``2026-11-23``), within the years of ``parse_instant``; ValueError otherwise."""
    day = date.fromisoformat(text)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"year {day.year} is out of the supported years {MIN_YEAR}..{MAX_YEAR}")
    return day


def instant(text: str, where: str) -> datetime:
    """An ISO 8601 instant typed for ``where`` (``--now``, a form field, a cursor), bounded; BadInput
    naming ``where`` otherwise."""
    try:
        return parse_instant(check_text(text, where))
    except Refused as e:
        raise e.bad_input() from None
    except ValueError as e:
        zh, _ = MESSAGES["input.instant"]
        raise BadInput(f"{where}: {zh} ({e})", fields={where: {"key": "input.instant", "message": zh,
                                                               "en": str(e)}}) from None
