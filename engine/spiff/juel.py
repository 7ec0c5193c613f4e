"""Camunda 7 writes conditions in JUEL (``${amount > 1000 && approved}``). The common subset —
variables, comparisons, boolean operators, literals — maps one-to-one onto the sandbox's Python
expressions; anything else (method calls on ``execution``, beans) is left for the sandbox check to
refuse with the element's line."""
from __future__ import annotations

import re

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_STRING = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_WORDS = [(r"&&", " and "), (r"\|\|", " or "), (r"!(?!=)", " not "),
          (r"\beq\b", "=="), (r"\bne\b", "!="), (r"\bgt\b", ">"), (r"\blt\b", "<"), (r"\bge\b", ">="),
          (r"\ble\b", "<="), (r"\btrue\b", "True"), (r"\bfalse\b", "False"), (r"\bnull\b", "None"),
          (r"\bempty\s+(\w+)", r"(not \1)")]


def translate_expression(text: str) -> str:
    """``${a && !b}`` -> ``a and not b``; a plain Python expression is returned unchanged."""
    m = _WRAPPED.match(text)
    if not m:
        return text
    parts = _STRING.split(m.group(1))
    for i in range(0, len(parts), 2):          # odd parts are string literals: leave them alone
        for pattern, repl in _WORDS:
            parts[i] = re.sub(pattern, repl, parts[i])
    return re.sub(r"\s+", " ", "".join(parts)).strip()
