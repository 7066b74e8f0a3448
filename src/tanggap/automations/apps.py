from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "tanggap.automations"
    label = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tanggap.automations.acknowledge import forget_acknowledging_inboxes, on_ticket_created
        from tanggap.core import events
        from tanggap.inboxes.models import Inbox

        # The acknowledgement of a ticket a customer opened (docs/acknowledgement.md).
        events.subscribe(events.TICKET_CREATED)(on_ticket_created)
        for signal in (post_save, post_delete):
            signal.connect(forget_acknowledging_inboxes, sender=Inbox, dispatch_uid=f"ack-forget-{signal}")

        # Triggers: conditions and actions run on ticket events, in order (docs/triggers.md).
        from tanggap.automations.firing import EVENT_OF, on_ticket_event

        events.subscribe(*EVENT_OF)(on_ticket_event)
