"""The service-recovery box of the ticket page's side panel: the offers that apply to the ticket,
worded in the customer's language, and those already made on it (two queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from tanggap.accounts.permissions import can
from tanggap.assist import selectors
from tanggap.assist.coaching import ticket_situation

register = template.Library()


@register.simple_tag(takes_context=True)
def recovery_box(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or ticket is None:
        return {"show": False}
    # The ticket page read ``ticket`` through ``ticket_get_for_agent``: access is checked.
    policies, offers = selectors.recovery_ticket_panel(user=user, ticket=ticket)
    can_offer = can(user, selectors.OFFER_ACTION)
    if not policies and not offers:
        return {"show": False}
    language = selectors.customer_language(ticket)
    # Offers are for real failures: elsewhere the form stays folded, one click away.
    can_offer = can_offer and not ticket.merged_into_id and ticket.status != "closed"
    failure = can_offer and ticket_situation(ticket) == "failure"
    offered = {offer.failure_type for offer in offers}
    screen = get_language() or "id"
    return {
        "show": True,
        "can_offer": can_offer,
        "failure": failure,
        "policies": [
            {
                "id": p.pk,
                "label": p.label(language),
                "failure": selectors.failure_type_label(p.failure_type),
                "amount": selectors.format_amount(p.amount, p.currency, screen),
            }
            for p in policies
            if p.failure_type not in offered
        ],
        "offers": [
            {
                "label": o.label,
                "failure": selectors.failure_type_label(o.failure_type),
                "by": o.offered_by.label if o.offered_by else "",
                "at": o.created_at,
            }
            for o in offers
        ],
    }
