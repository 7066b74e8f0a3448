from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "tanggap.sla"
    label = "sla"
    verbose_name = _("Response targets")

    def ready(self) -> None:
        from tanggap.core import events
        from tanggap.sla import tasks  # noqa: F401  (registers the periodic sweep)
        from tanggap.sla.services import on_customer_tier_changed

        # A customer's new tier may choose another policy for their open tickets.
        events.subscribe("customer.tier_changed")(on_customer_tier_changed)
