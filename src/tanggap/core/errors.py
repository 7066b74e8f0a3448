"""One family of application errors, each with a stable code.

The API maps them to one JSON shape (``{"error": {"code", "message", "details"}}``); the UI shows the
translated message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_INPUT = "invalid_input"
    INVALID_TRANSITION = "invalid_transition"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    BAD_REQUEST = "bad_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL_ERROR = "internal_error"


_STATUS = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.INTERNAL_ERROR: 500,
}

_DEFAULT_MESSAGE = {
    ErrorCode.NOT_FOUND: _("Not found."),
    ErrorCode.PERMISSION_DENIED: _("You do not have permission to do that."),
    ErrorCode.NOT_AUTHENTICATED: _("Sign in first."),
    ErrorCode.INVALID_INPUT: _("The input is not valid."),
    ErrorCode.INVALID_TRANSITION: _("That status change is not allowed."),
    ErrorCode.CONFLICT: _("That conflicts with the current state."),
    ErrorCode.RATE_LIMITED: _("Too many requests; try again shortly."),
    ErrorCode.TOO_LARGE: _("That is too large."),
    ErrorCode.BAD_REQUEST: _("The request could not be read."),
    ErrorCode.METHOD_NOT_ALLOWED: _("This method is not allowed here."),
    ErrorCode.INTERNAL_ERROR: _("Something went wrong on our side."),
}


class ApplicationError(Exception):
    """A failure the user can understand, with a stable code."""

    def __init__(self, code: ErrorCode, message: Any = None, **details: Any) -> None:
        self.code = code
        self.message = message if message is not None else _DEFAULT_MESSAGE[code]
        self.details = details
        super().__init__(str(self.message))

    @property
    def status(self) -> int:
        return _STATUS[self.code]

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": str(self.code), "message": str(self.message), "details": self.details}}


class NotFound(ApplicationError):
    def __init__(self, message: Any = None, **details: Any) -> None:
        super().__init__(ErrorCode.NOT_FOUND, message, **details)


class PermissionDenied(ApplicationError):
    def __init__(self, message: Any = None, **details: Any) -> None:
        super().__init__(ErrorCode.PERMISSION_DENIED, message, **details)


class InvalidInput(ApplicationError):
    def __init__(self, message: Any = None, **details: Any) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, message, **details)
