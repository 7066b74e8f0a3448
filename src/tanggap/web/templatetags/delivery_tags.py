"""How each reply on a timeline was delivered (recipient, failure reason, the server's answer): read
with the timeline (``select_related("outbound_mail")``), else in one query for the whole page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from tanggap.inboxes.delivery import delivery_details
from tanggap.tickets.models import MessageKind

register = template.Library()


@register.simple_tag
def attach_deliveries(timeline: Iterable[Any]) -> str:
    """Sets ``m.delivery`` (an ``inboxes.delivery.DeliveryDetail`` or None) on every reply."""
    replies = [m for m in timeline if m.kind == MessageKind.REPLY and m.delivery_status]
    found = delivery_details(replies)
    for message in replies:
        message.delivery = found.get(message.pk)
    return ""
