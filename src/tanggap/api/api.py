"""The REST API: assembles each context's ``api.py`` into one NinjaAPI.

Around ninja's defaults it adds: one JSON error shape for every failure (``tanggap.api.errors``),
including 405 and unknown routes under /api/; the error responses documented on every operation;
bearer-token and session authentication on every operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI

from tanggap.accounts.api import router as accounts_router
from tanggap.analytics.api import router as reports_router
from tanggap.api.auth import AUTH
from tanggap.api.errors import (
    document_errors,
    install_handlers,
    method_not_allowed_response,
    not_found_response,
)
from tanggap.assist.api import router as recovery_router
from tanggap.automations.api import router as triggers_router
from tanggap.customers.api import router as customers_router
from tanggap.macros.api import router as macros_router
from tanggap.routing.api import router as routing_router
from tanggap.tickets.api import inbound_router
from tanggap.tickets.api import router as tickets_router
from tanggap.webhooks.api import router as webhooks_router


def _json_405(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Ninja answers a wrong method with a plain-text 405; answer it in the API's error shape."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
            return method_not_allowed_response(allowed)
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # ninja checks CSRF in its session auth
    return wrapped


def _unknown_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    return not_found_response()


_unknown_route.csrf_exempt = True  # type: ignore[attr-defined]


class TanggapAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls: list[URLPattern | URLResolver] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(
                    pattern.pattern, _json_405(pattern.callback), pattern.default_args, pattern.name
                )
            urls.append(pattern)
        urls.append(re_path(r"^(?P<rest>.*)$", _unknown_route, name="unknown"))
        return urls

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = TanggapAPI(
    title="Tanggap API",
    version="1",
    description=(
        "The Tanggap helpdesk API. Authenticate with `Authorization: Bearer tgp_...` (create a token "
        "under Settings) or, from the browser, with the session and its CSRF token. Every error is "
        '`{"error": {"code", "message", "details"}}`. Lists return `items` and `has_more`; the ticket '
        "list also returns `next_cursor` for fast deep paging."
    ),
    auth=AUTH,
    urls_namespace="api",
)
install_handlers(api)
api.add_router("", tickets_router)
api.add_router("", inbound_router)
api.add_router("", customers_router)
api.add_router("", accounts_router)
api.add_router("", webhooks_router)
api.add_router("", reports_router)
api.add_router("", macros_router)
api.add_router("", routing_router)
api.add_router("", triggers_router)
api.add_router("", recovery_router)
