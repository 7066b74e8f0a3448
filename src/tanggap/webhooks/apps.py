"""Outbound webhooks: subscriptions to ticket events, delivered by the worker with an HMAC signature."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "tanggap.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from tanggap.core import events, outbox
        from tanggap.webhooks.delivery import deliver
        from tanggap.webhooks.models import WebhookDelivery
        from tanggap.webhooks.services import WEBHOOK_EVENTS, on_ticket_event

        outbox.register(WebhookDelivery, deliver, max_attempts=8, base_delay=30.0)
        events.subscribe(*WEBHOOK_EVENTS)(on_ticket_event)
