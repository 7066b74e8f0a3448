"""Sending one webhook delivery: a signed JSON POST, its outcome recorded on the row.

Run by ``core.outbox`` (registered in ``apps.py``): 2xx is done; 410 Gone gives up and turns the
subscription off; other 4xx give up; 5xx, timeouts and connection errors are retried with back-off.
Redirects are not followed (a POST must not silently become a GET elsewhere).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.utils import timezone

from tanggap.core.outbox import GiveUp, RetryLater
from tanggap.webhooks.models import WebhookDelivery
from tanggap.webhooks.services import subscription_deactivate_gone
from tanggap.webhooks.validation import webhook_url_problem

TIMEOUT = 10.0  # seconds
USER_AGENT = "Tanggap-Webhooks/1"
MAX_RESPONSE_EXCERPT = 2000
_READ_LIMIT = 8 * 1024


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"{timestamp}.{body}"`` with the subscription's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def encode_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxies from the environment, no redirects: the request goes exactly where the admin said.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _excerpt(raw: bytes) -> str:
    return raw[:MAX_RESPONSE_EXCERPT].decode("utf-8", errors="replace").replace("\x00", "")


def deliver(delivery: WebhookDelivery) -> None:
    """The outbox handler for one claimed delivery."""
    subscription = delivery.subscription
    if not subscription.active:
        raise GiveUp("the subscription is inactive")
    if webhook_url_problem(subscription.url) is not None:
        raise GiveUp("the subscription's URL is not valid")
    body = encode_body(delivery.payload)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (scheme checked above: http or https only)
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Tanggap-Event": delivery.event,
            "X-Tanggap-Delivery": str(delivery.uuid),
            "X-Tanggap-Timestamp": timestamp,
            "X-Tanggap-Signature": sign(subscription.secret, timestamp, body),
        },
    )
    started = time.monotonic()
    status: int | None = None
    excerpt = ""
    failure: Exception | None = None
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            status = response.status
            excerpt = _excerpt(response.read(_READ_LIMIT))
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            excerpt = _excerpt(exc.read(_READ_LIMIT))
        except OSError:
            excerpt = ""
        finally:
            exc.close()
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        failure = exc
    duration_ms = int((time.monotonic() - started) * 1000)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        response_status=status,
        response_body=excerpt,
        duration_ms=duration_ms,
        delivered_at=timezone.now() if status is not None and 200 <= status < 300 else None,
    )
    if failure is not None or status is None:
        reason = getattr(failure, "reason", failure)
        raise RetryLater(f"{type(failure).__name__}: {reason}"[:500])
    if 200 <= status < 300:
        return
    if status == 410:
        subscription_deactivate_gone(subscription_id=subscription.pk)
        raise GiveUp("410 Gone: the subscription was turned off")
    if 300 <= status < 400:
        raise GiveUp(f"HTTP {status}: redirects are not followed; update the URL")
    if 400 <= status < 500 and status not in (408, 429):
        raise GiveUp(f"HTTP {status}")
    raise RetryLater(f"HTTP {status}")
