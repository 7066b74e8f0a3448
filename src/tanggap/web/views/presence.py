"""The presence toggle in the top bar: online, away or offline, by hand."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tanggap.accounts.presence import presence_set
from tanggap.core.errors import ApplicationError
from tanggap.web.views.common import AuthedRequest, flash_error, safe_back


@login_required
@require_POST
def presence_update(request: AuthedRequest) -> HttpResponse:
    try:
        row = presence_set(actor=request.user, status=request.POST.get("status", ""))
    except ApplicationError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(status=422)
        flash_error(request, exc)
        return redirect(safe_back(request, "web:queue"))
    if request.headers.get("HX-Request"):
        return render(request, "web/partials/presence_toggle.html", {"presence": (row.status, row.idle)})
    return redirect(safe_back(request, "web:queue"))
