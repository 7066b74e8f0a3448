"""``reverse()`` for hot paths: each URL name's shape is reversed once, then filled in with the arguments."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.urls import get_script_prefix, reverse

# Placeholders that no real URL contains; one per positional argument.
_PLACEHOLDER = 987_654_321_000


@lru_cache(maxsize=1024)
def _shape(viewname: str, arity: int, prefix: str) -> tuple[str, ...]:
    placeholders = [str(_PLACEHOLDER + i) for i in range(arity)]
    url = reverse(viewname, args=placeholders)
    parts: list[str] = []
    for placeholder in placeholders:
        head, sep, url = url.partition(placeholder)
        if not sep:  # an argument the URL does not show as given: no shortcut for this name
            return ()
        parts.append(head)
    parts.append(url)
    return tuple(parts)


def cached_reverse(viewname: str, args: Sequence[Any] = ()) -> str:
    """``reverse(viewname, args=args)`` for non-negative integer arguments (ids), else plain ``reverse``."""
    if not all(type(arg) is int and arg >= 0 for arg in args):
        return reverse(viewname, args=args)
    parts = _shape(viewname, len(args), get_script_prefix())
    if not parts:
        return reverse(viewname, args=args)
    out = [parts[0]]
    for arg, part in zip(args, parts[1:], strict=True):
        out.append(str(arg))
        out.append(part)
    return "".join(out)
