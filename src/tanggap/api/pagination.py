"""Pagination without counting: fetch one row more than asked to know whether there is more.

Lists page by ``limit``/``offset``; the ticket list also pages by an opaque keyset ``cursor``, which
stays fast at any depth (no OFFSET scan) and stable while tickets change. No endpoint runs
``COUNT(*)``, which at a million tickets would cost more than the page itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from tanggap.api.schemas import MAX_ID
from tanggap.core.errors import InvalidInput

MAX_CURSOR = 512


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    limit: int
    offset: int
    has_more: bool
    next_cursor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "limit": self.limit,
            "offset": self.offset,
            "has_more": self.has_more,
            "next_cursor": self.next_cursor,
        }


def offset_page(qs: QuerySet[Any], *, limit: int, offset: int) -> Page:
    rows = list(qs[offset : offset + limit + 1])
    return Page(items=rows[:limit], limit=limit, offset=offset, has_more=len(rows) > limit)


# ---------------------------------------------------------------- keyset cursors


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value: Any, *, nullable: bool) -> Any:
    if value is None and nullable:
        return None
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        parsed = parse_datetime(value["t"])
        if parsed is None or parsed.tzinfo is None:
            raise ValueError("bad datetime")
        return parsed
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_ID <= value <= MAX_ID:
        raise ValueError("bad value")
    return value


# An ascending key with its empty values last (``F(name).asc(nulls_last=True)``): "due soonest".
_NULLS_LAST = " nulls last"


def _order_fields(qs: QuerySet[Any]) -> list[str]:
    order = []
    for key in qs.query.order_by:
        if (
            isinstance(key, OrderBy)
            and isinstance(key.expression, F)
            and key.nulls_last
            and not key.descending
        ):
            order.append(key.expression.name + _NULLS_LAST)  # type: ignore[attr-defined]
        elif isinstance(key, str):
            order.append(key)
        else:
            raise RuntimeError(f"keyset pagination cannot order by {key!r}")
    if not order or order[-1].lstrip("-") not in {"id", "pk"}:
        raise RuntimeError("keyset pagination needs an ordering that ends with the primary key")
    return order


def _field(key: str) -> str:
    return key.removesuffix(_NULLS_LAST).lstrip("-")


def encode_cursor(order: list[str], row: Model) -> str:
    values = [_encode_value(getattr(row, _field(key))) for key in order]
    raw = json.dumps({"o": order, "v": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: list[str]) -> list[Any]:
    """The row values a cursor points after; ``InvalidInput`` if it is malformed or for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("o") != order:
            raise ValueError("cursor is for another ordering")
        values = data.get("v")
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError("bad values")
        return [
            _decode_value(v, nullable=key.endswith(_NULLS_LAST)) for key, v in zip(order, values, strict=True)
        ]
    except (ValueError, TypeError, binascii.Error, RecursionError):
        raise InvalidInput(_("The cursor is not valid for this list."), field="cursor") from None


def _equal(key: str, value: Any) -> Q:
    return Q(**{f"{_field(key)}__isnull": True}) if value is None else Q(**{_field(key): value})


def _beyond(key: str, value: Any) -> Q | None:
    """Rows whose ``key`` comes strictly after ``value``; None when none can (past the empty values
    of a nulls-last key)."""
    field = _field(key)
    if key.endswith(_NULLS_LAST):
        if value is None:
            return None
        return Q(**{f"{field}__gt": value}) | Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}__{'lt' if key.startswith('-') else 'gt'}": value})


def _after(order: list[str], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``order``: (a > x) or (a = x and b > y) or ..."""
    condition = Q()
    for index, key in enumerate(order):
        step = _beyond(key, values[index])
        if step is None:
            continue
        for prev_key, prev_value in zip(order[:index], values[:index], strict=True):
            step &= _equal(prev_key, prev_value)
        condition |= step
    return condition


def keyset_page(qs: QuerySet[Any], *, limit: int, offset: int, cursor: str | None) -> Page:
    """A page of an ordered queryset, by ``cursor`` when given, else by ``offset``; always with the
    cursor of the next page."""
    order = _order_fields(qs)
    if cursor:
        if len(cursor) > MAX_CURSOR:
            raise InvalidInput(_("The cursor is not valid for this list."), field="cursor")
        qs = qs.filter(_after(order, decode_cursor(cursor, order)))
        offset = 0
    rows = list(qs[offset : offset + limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(order, rows[-1]) if has_more and rows else None
    return Page(items=rows, limit=limit, offset=offset, has_more=has_more, next_cursor=next_cursor)
