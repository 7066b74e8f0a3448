"""API authentication: bearer tokens for integrations, the Django session (with CSRF) for the browser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from tanggap.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    """``Authorization: Bearer tgp_...``; revoked tokens and inactive agents are refused."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return api_token_authenticate(token.strip())


class Session(APIKeyCookie):
    """The signed-in agent's session. Unsafe methods need the CSRF token, as for any form.

    Unlike ninja's ``django_auth``, a request without a signed-in session is simply not
    authenticated (401), rather than failing the CSRF check first (403).
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated and user.is_active:
            return user
        return None


AUTH = [BearerToken(), Session()]
