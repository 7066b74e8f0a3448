"""The signed-in agent's presence for the top bar."""

from __future__ import annotations

from typing import Any

from django import template

from tanggap.accounts.models import Availability, Presence

register = template.Library()


@register.simple_tag(takes_context=True)
def my_presence(context: dict[str, Any]) -> tuple[str, bool]:
    """(status, idle) of the agent viewing the page; offline when they never set one."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return (Presence.OFFLINE.value, False)
    row = Availability.objects.filter(user_id=user.pk).values_list("status", "idle").first()
    return (row[0], row[1]) if row else (Presence.OFFLINE.value, False)
