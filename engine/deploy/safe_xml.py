"""The one way we parse XML that came from outside (BPMN/DMN uploads, files on disk).

No DTD, no entities, no network: an XXE or billion-laughs upload is refused with a line number
instead of reading files or eating memory."""
from __future__ import annotations

import re

from lxml import etree

from engine.errors import BadInput

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=False)


# A DOCTYPE in an ASCII-compatible encoding; UTF-16 input is still caught after parsing (below).
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def parse_xml(data: bytes | str, file_name: str = "<upload>") -> etree._Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise BadInput(f"{file_name}: the file is empty")
    start = _ROOT_START.search(data)
    doctype = _DOCTYPE.search(data, 0, start.start() if start else len(data))     # only the prolog holds one
    if doctype:                      # refused before the parser sees it: no DTD, no entity is even looked at
        line = data[: doctype.start()].count(b"\n") + 1
        raise BadInput(f"{file_name}:{line}: a DOCTYPE is not allowed (entities and DTDs are refused)")
    try:
        root = etree.fromstring(data, _PARSER)  # safe_xml
    except etree.XMLSyntaxError as e:
        where = e.lineno or (e.position[0] if getattr(e, "position", None) else "?")
        raise BadInput(f"{file_name}:{where}: not well-formed XML: {e.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise BadInput(f"{file_name}:1: a DOCTYPE is not allowed (entities and DTDs are refused)")
    for node in root.iter(etree.Entity):
        raise BadInput(f"{file_name}:{node.sourceline}: XML entities are not allowed")
    return root
