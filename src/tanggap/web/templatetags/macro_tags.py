"""The macro picker of the ticket page's reply box: the macros the agent may use, and the language
to answer this ticket in (one query for the list, at most two for the language)."""

from __future__ import annotations

from typing import Any

from django import template

from tanggap.macros.selectors import macros_for_agent, ticket_language

register = template.Library()

MAX_IN_PICKER = 200


@register.simple_tag(takes_context=True)
def macro_picker(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"macros": [], "language": "id"}
    rows = list(macros_for_agent(user=user).values_list("id", "name")[:MAX_IN_PICKER])
    return {"macros": rows, "language": ticket_language(ticket) if rows else "id"}
