"""Reading customers. Any signed-in agent may see the customer record; their tickets are filtered
by ticket visibility in ``tickets.selectors``."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import Q, QuerySet

from tanggap.accounts.permissions import can
from tanggap.core.errors import NotFound
from tanggap.customers.identities import InvalidIdentity, normalise_phone
from tanggap.customers.models import Customer


def customer_get_for_agent(*, user: Any, customer_id: int) -> Customer:
    if not can(user, "customer.view"):
        raise NotFound(object="customer")
    try:
        return (
            Customer.objects.select_related("organisation", "merged_into")
            .prefetch_related("identities")
            .get(pk=customer_id)
        )
    except (Customer.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="customer") from None


def customer_list(*, user: Any, query: str = "") -> QuerySet[Customer]:
    if not can(user, "customer.view"):
        return Customer.objects.none()
    qs = Customer.objects.filter(merged_into__isnull=True).select_related("organisation")
    query = query.strip()
    if query:
        condition = Q(name__icontains=query) | Q(identities__value__icontains=query.lower())
        if any(ch.isdigit() for ch in query):
            # "0812-3456-7890" finds the stored "+6281234567890".
            with contextlib.suppress(InvalidIdentity):
                condition |= Q(identities__kind="phone", identities__value=normalise_phone(query))
        qs = qs.filter(condition).distinct()
    return qs.prefetch_related("identities").order_by("name", "id")


def customer_survivor(customer: Customer) -> Customer:
    """The customer a merged customer now lives in (itself when never merged)."""
    seen: set[int] = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer
