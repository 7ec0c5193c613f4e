"""A refused deploy as data: one ``{"file", "element", "line", "message"}`` per problem, for the
modeler to put next to the element on the canvas and for ``POST /api/definitions``'s 422.

The rules report ``file:line: element: reason`` lines (engine/deploy/problems.py); this reads them
back. A word before the reason counts as the element only when the file has an element with that
id, so a reason that happens to start with ``word:`` is never mistaken for one."""
from __future__ import annotations

import re
from typing import TypedDict

__all__ = ["DeployProblem", "deploy_problems"]

_LINE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+|\?): (?P<rest>.*)$", re.S)
_ELEMENT = re.compile(r"^(?P<element>[^\s:]+): (?P<message>.*)$", re.S)
_IDS = re.compile(rb'\bid\s*=\s*["\']([^"\']+)["\']')


class DeployProblem(TypedDict):
    file: str | None
    element: str | None
    line: int | None
    message: str


def deploy_problems(message: str, files: list[tuple[str, bytes]]) -> list[DeployProblem]:
    """The problems in a deploy refusal's ``message`` (one per line; a line in another shape is
    kept whole, with no element or line)."""
    ids = {name: {m.decode("utf-8", "replace") for m in _IDS.findall(data)} for name, data in files}
    out: list[DeployProblem] = []
    for text in message.splitlines():
        if not text.strip():
            continue
        m = _LINE.match(text)
        if m is None or m["file"] not in ids:
            out.append({"file": None, "element": None, "line": None, "message": text})
            continue
        rest, element = m["rest"], None
        e = _ELEMENT.match(rest)
        if e is not None and e["element"] in ids[m["file"]]:
            element, rest = e["element"], e["message"]
        out.append({"file": m["file"], "element": element, "line": int(m["line"]) if m["line"].isdigit() else None,
                    "message": rest})
    return out
