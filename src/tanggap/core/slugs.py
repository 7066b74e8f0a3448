"""Names as stored: tags on tickets and the skills agents are matched against them by."""

from __future__ import annotations

from django.utils.text import slugify


def normalise_tag(name: str) -> str:
    """A tag as stored: a lower-case unicode slug ("VIP Customer" -> "vip-customer")."""
    return slugify(name or "", allow_unicode=True)[:64].strip("-_")
