"""The one way we parse XML that came from outside (BPMN/DMN uploads, files on disk).

No DTD, no entities, no network: an XXE or billion-laughs upload is refused with a line number
instead of reading files or eating memory."""
from __future__ import annotations

from lxml import etree

from engine.errors import BadInput

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=False)


def parse_xml(data: bytes | str, file_name: str = "<upload>") -> etree._Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise BadInput(f"{file_name}: the file is empty")
    try:
        root = etree.fromstring(data, _PARSER)  # safe_xml
    except etree.XMLSyntaxError as e:
        line = e.lineno or (e.position[0] if getattr(e, "position", None) else "?")
        raise BadInput(f"{file_name}:{line}: not well-formed XML: {e.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise BadInput(f"{file_name}:1: a DOCTYPE is not allowed (entities and DTDs are refused)")
    for node in root.iter(etree.Entity):
        raise BadInput(f"{file_name}:{node.sourceline}: XML entities are not allowed")
    return root
