"""Agent activity for presence: a signed-in agent's requests keep them online (``accounts.presence``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tanggap.accounts.presence import ACTIVITY_EVERY, activity_seen

_SESSION_KEY = "tanggap.activity"


class ActivityMiddleware:
    """Notes an agent's activity at most once a minute (a stamp in the session saves the query).
    Background polls (htmx GETs: the alert count, the ticket's who-is-here ping) are not activity: an
    agent who left a ticket open goes idle like any other."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return response
        if request.method == "GET" and request.headers.get("HX-Request"):
            return response
        now = time.time()
        last = request.session.get(_SESSION_KEY)
        if isinstance(last, (int, float)) and now - last < ACTIVITY_EVERY.total_seconds():
            return response
        request.session[_SESSION_KEY] = now
        activity_seen(user=user)  # type: ignore[arg-type]
        return response


def note_sign_in(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """Signing in is activity (``accounts.presence.signed_in`` wrote it): the next minute's requests
    need not write it again."""
    if request is not None and hasattr(request, "session"):
        request.session[_SESSION_KEY] = time.time()
