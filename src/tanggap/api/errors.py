"""Every API failure as one JSON shape: ``{"error": {"code", "message", "details"}}``.

Handlers cover our own ``ApplicationError`` family, ninja's parsing and validation errors, Django's
404 and oversized bodies, database errors caused by input, and anything unexpected (logged, then a
JSON 500). ``document_errors`` adds the error responses to every operation of the OpenAPI schema.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import TooManyFieldsSent as DjangoTooManyFields
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from tanggap.core.errors import ApplicationError, ErrorCode

logger = logging.getLogger(__name__)

BAD_REQUEST = str(ErrorCode.BAD_REQUEST)
METHOD_NOT_ALLOWED = str(ErrorCode.METHOD_NOT_ALLOWED)
INTERNAL_ERROR = str(ErrorCode.INTERNAL_ERROR)

_HTTP_CODES = {
    400: BAD_REQUEST,
    401: str(ErrorCode.NOT_AUTHENTICATED),
    403: str(ErrorCode.PERMISSION_DENIED),
    404: str(ErrorCode.NOT_FOUND),
    405: METHOD_NOT_ALLOWED,
    409: str(ErrorCode.CONFLICT),
    413: str(ErrorCode.TOO_LARGE),
    422: str(ErrorCode.INVALID_INPUT),
    429: str(ErrorCode.RATE_LIMITED),
}


def error_body(code: str, message: Any, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def error_response(
    status: int, code: str, message: Any, details: dict[str, Any] | None = None
) -> HttpResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def not_found_response() -> HttpResponse:
    return error_response(404, str(ErrorCode.NOT_FOUND), _("Not found."))


def method_not_allowed_response(allowed: list[str]) -> HttpResponse:
    response = error_response(
        405, METHOD_NOT_ALLOWED, _("This method is not allowed here."), {"allowed": sorted(allowed)}
    )
    response["Allow"] = ", ".join(sorted(allowed))
    return response


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's validation errors, reduced to what is safe and useful to return."""
    out = []
    for item in errors[:50]:
        loc = [str(part) for part in item.get("loc", ())]
        out.append({"loc": loc, "message": str(item.get("msg", "")), "type": str(item.get("type", ""))})
    return out


def _application_error(request: HttpRequest, exc: Any) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


def _validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    return error_response(
        422, str(ErrorCode.INVALID_INPUT), _("The input is not valid."), {"fields": _field_errors(exc.errors)}
    )


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    status = exc.status_code
    if isinstance(exc, AuthenticationError):
        message: Any = _("Authentication required: send a bearer token or sign in.")
    elif isinstance(exc, AuthorizationError) or status == 403:
        message = _("You do not have permission to do that.")
    elif status == 400:
        message = _("The request body could not be parsed as JSON.")
    elif isinstance(exc, Throttled):
        message = _("Too many requests; try again shortly.")
    else:
        message = exc.message
    details: dict[str, Any] = {}
    if isinstance(exc, Throttled) and exc.wait is not None:
        details["retry_after"] = int(exc.wait)
    code = _HTTP_CODES.get(status, BAD_REQUEST if status < 500 else INTERNAL_ERROR)
    if status == 403 and "CSRF" in str(exc.message):
        details["reason"] = "csrf"
    return error_response(status, code, message, details)


def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return not_found_response()


def _too_large(request: HttpRequest, exc: Any) -> HttpResponse:
    return error_response(413, str(ErrorCode.TOO_LARGE), _("The request is too large."))


def _data_error(request: HttpRequest, exc: Any) -> HttpResponse:
    # The database refused a value the schema let through (out of range, unstorable text).
    return error_response(422, str(ErrorCode.INVALID_INPUT), _("The input is not valid."))


def _integrity_error(request: HttpRequest, exc: Any) -> HttpResponse:
    # A concurrent write won a uniqueness race.
    return error_response(409, str(ErrorCode.CONFLICT), _("That conflicts with the current state."))


def _unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, INTERNAL_ERROR, _("Something went wrong on our side."))


def install_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(ApplicationError, _application_error)
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(RequestDataTooBig, _too_large)
    api.add_exception_handler(DjangoTooManyFields, _too_large)
    api.add_exception_handler(OverflowError, _data_error)
    api.add_exception_handler(UnicodeError, _data_error)
    api.add_exception_handler(DataError, _data_error)
    api.add_exception_handler(IntegrityError, _integrity_error)
    api.add_exception_handler(Exception, _unexpected)


# ---------------------------------------------------------------- OpenAPI

ERROR_SCHEMA_NAME = "Error"

_DESCRIPTIONS = {
    "400": "The request body is not valid JSON (code bad_request).",
    "401": "No valid bearer token or session (code not_authenticated).",
    "403": "The caller's role does not allow this (code permission_denied).",
    "404": "No such object, or the caller may not see it (code not_found).",
    "409": "The change conflicts with the current state (codes conflict, invalid_transition).",
    "413": "The request or a field is too large (code too_large).",
    "422": "The input is not valid (code invalid_input; details.fields lists the fields).",
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses to every operation, with one shared ``Error`` schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = {
        "title": "Error",
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "object"},
                },
            }
        },
    }
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["400", "401", "403", "404", "422"]
            if method != "get":
                codes.append("409")
            if "requestBody" in operation:
                codes.append("413")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": ref}}},
                )
    return schema
