"""prepare_import: a BPMN file a process owner imports into the modeler, with the translations
that are safe to make by themselves (engine/deploy/camunda_import.py) already made, and each one
named with its element, so the modeler marks them beside the elements it cannot run. Nothing is
stored: the result is a draft until it is deployed."""
from __future__ import annotations

from typing import Any

from lxml import etree

from engine.clock import Clock
from engine.deploy.camunda_import import translate_java_to_external
from engine.deploy.meta import BPMN_NS
from engine.deploy.safe_xml import parse_xml
from engine.errors import BadInput
from engine.rules.permissions import Actor, may_model
from engine.usecases.runner import reads
from storage.uow import UnitOfWork

__all__ = ["prepare_import"]


@reads
def prepare_import(uow: UnitOfWork, *, actor: Actor, clock: Clock, xml: str,
                   file: str = "upload.bpmn") -> dict[str, Any]:
    may_model(actor)
    root = parse_xml(xml.encode("utf-8"), file)
    if etree.QName(root).namespace != BPMN_NS:
        raise BadInput(f"{file}: 不是 BPMN 2.0 文件 (not a BPMN 2.0 file)")
    done = translate_java_to_external(root)
    text = xml if not done else etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    return {"xml": text, "translations": [{"element": t.element, "message": t.message} for t in done]}
