"""The files of a deploy, as read: name, bytes, the safely parsed XML tree and what kind of file it is.

Why first: every later rule reads the tree, and a file that is not BPMN 2.0 or DMN (an HTML page, a
PNG, a Camunda form) is refused here with its line and root element, before any rule or parser
sees it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lxml import etree

from engine.deploy.meta import BPMN_NS
from engine.deploy.safe_xml import parse_xml
from engine.errors import BadInput

__all__ = ["DMN_NAMESPACES", "SourceFile", "decision_ids", "load_source"]

DMN_NAMESPACES = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20191111/MODEL/", "https://www.omg.org/spec/DMN/20230324/MODEL/")


@dataclass
class SourceFile:
    name: str
    data: bytes
    root: etree._Element
    kind: str                   # 'bpmn' | 'dmn'

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def load_source(name: str, data: bytes) -> SourceFile:
    root = parse_xml(data, name)
    ns = etree.QName(root).namespace
    local = etree.QName(root).localname
    if ns == BPMN_NS and local == "definitions":
        return SourceFile(name, data, root, "bpmn")
    if ns in DMN_NAMESPACES and local == "definitions":
        return SourceFile(name, data, root, "dmn")
    raise BadInput(f"{name}:{root.sourceline}: not a BPMN 2.0 or DMN file (the root element is "
                   f"<{local}> in namespace {ns or 'none'})")


def decision_ids(source: SourceFile) -> list[str | None]:
    """The decisions a DMN file defines: a process that calls one is rebuilt when the file changes."""
    return [d.get("id") for d in source.root.iter(f"{{{etree.QName(source.root).namespace}}}decision")]
