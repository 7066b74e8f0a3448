"""Outbound webhooks: subscriptions to ticket events, delivered by the worker with an HMAC signature."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "tanggap.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tanggap.core import events, outbox
        from tanggap.webhooks.delivery import deliver
        from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription
        from tanggap.webhooks.selectors import forget_active
        from tanggap.webhooks.services import WEBHOOK_EVENTS, on_ticket_event

        outbox.register(WebhookDelivery, deliver, max_attempts=8, base_delay=30.0)
        events.subscribe(*WEBHOOK_EVENTS)(on_ticket_event)
        for signal in (post_save, post_delete):
            signal.connect(
                forget_active, sender=WebhookSubscription, dispatch_uid=f"webhooks-forget-{signal}"
            )
