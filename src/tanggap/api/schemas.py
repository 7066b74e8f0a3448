"""Building blocks shared by every context's API schemas: bounded ids, safe text, the error shape.

Every string the API accepts goes through ``Text``: bounded, and free of NUL characters and lone
surrogates, which PostgreSQL and UTF-8 encoders reject (they would otherwise surface as a 500).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=100)]
Offset = Annotated[int, Field(ge=0, le=10_000)]


def _safe_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode") from None
    return value


@dataclass(frozen=True, slots=True)
class Text:
    """Metadata for ``Annotated[str, Text(250)]``: a string of at most ``max_length`` characters that
    the database can store (documented in the OpenAPI schema as ``maxLength``/``minLength``)."""

    max_length: int
    min_length: int = 0
    strip: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = core_schema.str_schema(
            max_length=self.max_length, min_length=self.min_length, strip_whitespace=self.strip
        )
        return core_schema.no_info_after_validator_function(_safe_text, schema)


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _sane_datetime(value: datetime) -> datetime:
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("must be between 1970 and 2200")
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_sane_datetime)]


class ErrorBody(Schema):
    code: str = Field(description="A stable error code, e.g. not_found, invalid_input.")
    message: str = Field(description="A human-readable message in the caller's language.")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorOut(Schema):
    error: ErrorBody


class Ref(Schema):
    """A related object: its id and a label to show."""

    id: int
    name: str


def request_user(request: HttpRequest) -> Any:
    """The agent the request is authenticated as (a bearer token's owner or the session user)."""
    return getattr(request, "auth", None)
