"""The count of a user's unread trigger notices, shown beside the alert bell on every page."""

from __future__ import annotations

from typing import Any

from django import template

from tanggap.automations.selectors import unread_notice_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_trigger_notices(context: dict[str, Any]) -> int:
    request = context.get("request")
    return unread_notice_count(user=getattr(request, "user", None)) if request is not None else 0
