"""Full-text search over ticket subjects and messages (one selector for SQLite FTS5 and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tanggap.core.text import query_terms
from tanggap.tickets.models import SearchEntry, Ticket
from tanggap.tickets.selectors import ticket_visible_qs


def ticket_search(*, user: Any, query: str, limit: int = 25, offset: int = 0) -> list[Ticket]:
    """Tickets the user may see whose subject or a message matches every word of ``query``
    (stemmed, Indonesian and English), most recently updated first."""
    terms = query_terms(query)
    if not terms:
        return []
    entries = SearchEntry.objects.all()
    for alternatives in terms:
        from django.db.models import Q

        cond = Q()
        for alt in alternatives:
            cond |= Q(stems__contains=alt)
        entries = entries.filter(cond)
    ids = entries.values("ticket_id")
    qs = ticket_visible_qs(user).filter(pk__in=ids).select_related("customer", "team", "assignee")
    return list(qs.order_by("-updated_at", "-id")[offset : offset + limit])
