from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "tanggap.automations"
    label = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from tanggap.automations.acknowledge import on_ticket_created
        from tanggap.core import events

        # The acknowledgement of a ticket a customer opened (docs/acknowledgement.md).
        events.subscribe(events.TICKET_CREATED)(on_ticket_created)

        # Triggers: conditions and actions run on ticket events, in order (docs/triggers.md).
        from tanggap.automations.triggers import EVENT_OF, on_ticket_event

        events.subscribe(*EVENT_OF)(on_ticket_event)
