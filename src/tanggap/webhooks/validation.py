"""Which URLs a webhook may point at: http or https, a host, no credentials, no whitespace."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_URL = 2000


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None when it can. Pure."""
    if not url or len(url) > MAX_URL:
        return "length"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when the port is not a number in range
    except ValueError:
        return "malformed"
    if parts.scheme not in {"http", "https"}:
        return "scheme"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "credentials"
    if not parts.hostname:
        return "host"
    del port
    return None


_MESSAGES = {
    "length": _("Enter a URL of at most 2000 characters."),
    "characters": _("The URL must not contain spaces or control characters."),
    "malformed": _("Enter a valid URL."),
    "scheme": _("Only http:// and https:// URLs can receive webhooks."),
    "credentials": _("Do not put a user name or password in the URL; requests are signed instead."),
    "host": _("Enter a URL with a host name."),
}


def validate_webhook_url(url: str) -> None:
    problem = webhook_url_problem(url)
    if problem is not None:
        raise ValidationError(_MESSAGES[problem], code=f"url_{problem}")


def url_message(problem: str) -> str:
    return str(_MESSAGES[problem])
