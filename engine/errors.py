"""Domain errors. Each maps to one CLI exit code and one HTTP status, in one place each."""
from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class FieldError(TypedDict):
    """What is wrong with one field: a message key, and (where the raiser words it) the texts."""
    key: str
    message: NotRequired[str]   # Chinese
    en: NotRequired[str]


class ErrorJson(TypedDict):
    error: str
    fields: NotRequired[dict[str, FieldError]]
    rows: NotRequired[list[dict[str, Any]]]      # a refused import: its problems by line and column


class WuyeError(Exception):
    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, fields: dict[str, FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_json(self) -> ErrorJson:
        out: ErrorJson = {"error": self.message}
        if self.fields:
            out["fields"] = self.fields
        return out


class BadInput(WuyeError):
    """A form, a BPMN file, a CLI argument or an API body that cannot be accepted as it is.

    ``fields`` maps a field id to ``{"key": message key, "message": Chinese text, "en": English}``."""
    exit_code = 2
    http_status = 422


class NotPermitted(WuyeError):
    exit_code = 3
    http_status = 403


class NotFound(WuyeError):
    exit_code = 4
    http_status = 404


class Conflict(WuyeError):
    """Someone else changed it first: reload and try again."""
    exit_code = 5
    http_status = 409
