"""The dead-inbox banner's data: the canary's open alerts, for admins only (one small query)."""

from __future__ import annotations

from typing import Any

from django import template

from tanggap.inboxes.canary import canary_alerts_open

register = template.Library()


@register.simple_tag(takes_context=True)
def canary_alerts(context: Any) -> list[Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_admin", False):
        return []
    return canary_alerts_open(user=user)
