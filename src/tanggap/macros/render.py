"""Filling a macro's variables: a tiny, closed substitution language, never a template engine.

A macro's text is written by people, so it is never handed to Django's (or any) template engine:
only ``{{ name }}`` placeholders from ``VARIABLES`` are replaced, everything else — ``{% ... %}``,
unknown names, stray braces — stays exactly as written. Pure: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

VARIABLES: tuple[str, ...] = (
    "customer.first_name",
    "customer.name",
    "ticket.number",
    "ticket.subject",
    "agent.first_name",
    "agent.name",
)
LANGUAGES: tuple[str, ...] = ("id", "en")

# What a missing value becomes, per language: the greeting still reads naturally ("Halo Bapak/Ibu,",
# "Hi there,") instead of "Halo None,".
FALLBACKS: Mapping[str, Mapping[str, str]] = {
    "id": {"customer.first_name": "Bapak/Ibu", "customer.name": "Bapak/Ibu", "agent.first_name": "Tim"},
    "en": {"customer.first_name": "there", "customer.name": "there", "agent.first_name": "The team"},
}

# ``{{`` then anything but braces (bounded, so hostile text cannot make it backtrack far), then ``}}``.
_PLACEHOLDER = re.compile(r"\{\{([^{}]{0,100})\}\}")
_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*$")


def placeholders(text: str) -> list[str]:
    """Each placeholder's name as written (spaces trimmed), in order, once each."""
    found: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1).strip()
        found.setdefault(name, None)
    return list(found)


def unknown_variables(text: str) -> list[str]:
    """The placeholders in ``text`` that are not one of ``VARIABLES`` (what saving refuses)."""
    return [name for name in placeholders(text) if name not in VARIABLES]


def first_name(full_name: str) -> str:
    """The first word of a name ("Budi Santoso" -> "Budi"); "" for no name."""
    words = (full_name or "").split()
    return words[0] if words else ""


def render(text: str, values: Mapping[str, str | None], *, language: str = "id") -> str:
    """``text`` with every known placeholder replaced by its value, or its fallback in ``language``
    when the value is missing or blank. Unknown placeholders are left as written (saving refuses
    them; this keeps an old macro readable rather than failing)."""
    fallbacks = FALLBACKS.get(language, FALLBACKS["id"])

    def replace(match: re.Match[str]) -> str:
        named = _NAME.match(match.group(1))
        if named is None or named.group(1) not in VARIABLES:
            return match.group(0)
        name = named.group(1)
        value = values.get(name)
        value = "" if value is None else " ".join(str(value).split())
        return value or fallbacks.get(name, "")

    return _PLACEHOLDER.sub(replace, text)


class Variant(NamedTuple):
    """The text chosen for a ticket and the language it is in."""

    language: str
    text: str


def choose_variant(*, bodies: Mapping[str, str], wanted: str, default: str = "id") -> Variant:
    """The body in ``wanted`` ("id"/"en"), else in ``default``, else whichever is not empty."""
    order = [lang for lang in (wanted, default, *LANGUAGES) if lang in LANGUAGES]
    for lang in dict.fromkeys(order):
        if (bodies.get(lang) or "").strip():
            return Variant(lang, bodies[lang])
    return Variant(wanted if wanted in LANGUAGES else default, "")
