"""The evidence pack's PDF (WeasyPrint, Noto CJK fonts): rendered from our own Jinja template, with
the proof attached as wuye-proof.json so the offline check (engine/audit/offline.py) reads it from
the PDF itself. The template gets only the pack's JSON; everything in it is escaped."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML, Attachment

from engine.clock import SHANGHAI

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)


def _local(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _show(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


_env.filters["local"] = _local
_env.filters["show"] = _show


def render_html(pack: dict[str, Any]) -> str:
    return _env.get_template("evidence.html").render(p=pack, i=pack["instance"])


def render_pdf(pack: dict[str, Any], *, attachment: bytes) -> bytes:
    proof = Attachment(string=attachment, name="wuye-proof.json", description="wuye evidence proof")
    pdf: bytes = HTML(string=render_html(pack)).write_pdf(attachments=[proof])
    return pdf
