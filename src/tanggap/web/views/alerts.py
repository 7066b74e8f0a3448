"""The agent's alerts from the response clocks (the bell): a list, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tanggap.sla.notices import alerts_for, alerts_mark_read
from tanggap.web.views.common import AuthedRequest, parse_int


@require_GET
@login_required
def alerts(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    return render(
        request,
        "web/alerts.html",
        {"alerts": alerts_for(user=request.user, unread_only=unread_only), "unread_only": unread_only},
    )


@require_POST
@login_required
def alerts_read(request: AuthedRequest) -> HttpResponse:
    one = parse_int(request.POST.get("alert"))
    alerts_mark_read(user=request.user, delivery_ids=None if one is None else [one])
    return redirect("web:alerts")
