"""Request bodies: 2 MiB everywhere (webforms/__init__.py's MAX_CONTENT_LENGTH), except an upload of
an attachment, which may carry a file up to the attachment limit (engine/rules/attachments.py). The
limit must be known before anything reads the body (the CSRF check reads the form first), so it is
the request's own: a body between the limit and twice it is read and refused by the use case (422,
naming the file's size); a larger one is 413 unread."""
from __future__ import annotations

from flask import Request, request

from engine.rules.attachments import MAX_BYTES

UPLOAD_BODY_LIMIT = 2 * MAX_BYTES


class WuyeRequest(Request):
    @property  # type: ignore[misc]
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self.method == "POST" and self.path.rstrip("/").endswith("/attachments"):
            return UPLOAD_BODY_LIMIT
        limit: int | None = super().max_content_length
        return limit



def uploaded_file(field: str = "file") -> tuple[str, bytes]:
    """The posted file's name and bytes (empty when none was sent); its spooled temporary file is
    closed at once, whatever the use case then decides."""
    file = request.files.get(field)
    if file is None:
        return "", b""
    try:
        return file.filename or "", file.read()
    finally:
        file.close()
