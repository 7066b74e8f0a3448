"""The webhooks admin pages (admins only; anyone else gets 404). Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tanggap.core.errors import ApplicationError
from tanggap.web.views.common import error_message, not_found_as_404, require_action
from tanggap.webhooks import selectors, services
from tanggap.webhooks.forms import EVENT_LABELS, WebhookForm

PAGE_SIZE = 50


def admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @never_cache
    @require_action("webhook.manage")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with not_found_as_404():
            return view(request, *args, **kwargs)

    return wrapped


def _form_error(form: WebhookForm, exc: ApplicationError) -> None:
    """Show a service's refusal on the field it names (or the whole form), translated."""
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, error_message(exc))


def _secret_page(request: HttpRequest, subscription: Any, secret: str, created: bool) -> HttpResponse:
    response = render(
        request, "webhooks/secret.html", {"subscription": subscription, "secret": secret, "created": created}
    )
    response["Cache-Control"] = "no-store"
    return response


@admin_only
def webhook_list(request: HttpRequest) -> HttpResponse:
    subscriptions = list(selectors.webhook_list(user=request.user))
    return render(
        request, "webhooks/list.html", {"subscriptions": subscriptions, "event_labels": EVENT_LABELS}
    )


@admin_only
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = services.webhook_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            return _secret_page(request, subscription, secret, created=True)
    return render(request, "webhooks/form.html", {"form": form, "subscription": None})


@admin_only
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, webhook_id: int) -> HttpResponse:
    subscription = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    initial = {
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "active": subscription.active,
    }
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(actor=request.user, subscription=subscription, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhooks:detail", webhook_id=subscription.pk)
    return render(request, "webhooks/form.html", {"form": form, "subscription": subscription})


@admin_only
def webhook_detail(request: HttpRequest, webhook_id: int) -> HttpResponse:
    subscription = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    start = (page - 1) * PAGE_SIZE
    rows = list(
        selectors.webhook_deliveries(user=request.user, subscription=subscription)[
            start : start + PAGE_SIZE + 1
        ]
    )
    context = {
        "subscription": subscription,
        "deliveries": rows[:PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "event_labels": EVENT_LABELS,
    }
    return render(request, "webhooks/detail.html", context)


@admin_only
@require_POST
def webhook_set_active(request: HttpRequest, webhook_id: int) -> HttpResponse:
    subscription = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    active = request.POST.get("active") == "1"
    services.webhook_update(actor=request.user, subscription=subscription, active=active)
    messages.success(request, _("Webhook turned on.") if active else _("Webhook turned off."))
    return redirect("webhooks:detail", webhook_id=subscription.pk)


@admin_only
@require_POST
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    subscription = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    services.webhook_send_test(actor=request.user, subscription=subscription)
    messages.success(request, _("Test event queued. Its delivery appears in the log below."))
    return redirect("webhooks:detail", webhook_id=subscription.pk)


@admin_only
@require_POST
def webhook_rotate_secret(request: HttpRequest, webhook_id: int) -> HttpResponse:
    subscription = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    secret = services.webhook_secret_rotate(actor=request.user, subscription=subscription)
    return _secret_page(request, subscription, secret, created=False)


@admin_only
@require_POST
def delivery_retry(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    subscription = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    delivery = selectors.webhook_delivery_get(
        user=request.user, subscription=subscription, delivery_id=delivery_id
    )
    services.webhook_delivery_retry(actor=request.user, delivery=delivery)
    messages.success(request, _("Delivery queued to be sent again."))
    return redirect("webhooks:detail", webhook_id=subscription.pk)
