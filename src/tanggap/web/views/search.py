"""Full-text search over the tickets the user may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tanggap.tickets.search import ticket_search_rows
from tanggap.web.views.common import PAGE_SIZE, AuthedRequest, Page, page_number

MAX_QUERY = 200


@require_safe
@login_required
def search(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    number = page_number(request)
    page = Page(items=[], number=number, has_next=False)
    if query:
        found = ticket_search_rows(
            user=request.user, query=query, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )
        page = Page(items=found[:PAGE_SIZE], number=number, has_next=len(found) > PAGE_SIZE)
    return render(
        request,
        "web/search.html",
        {
            "query": query,
            "page": page,
        },
    )
