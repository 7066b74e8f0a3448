from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "tanggap.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tanggap.core import events
        from tanggap.routing import tasks  # noqa: F401  (registers the periodic sweep)
        from tanggap.routing.models import TeamRouting
        from tanggap.routing.reactions import on_presence_changed, on_ticket_arrived, on_work_changed
        from tanggap.routing.services import forget_routed_teams

        events.subscribe(events.TICKET_CREATED, events.MESSAGE_RECEIVED)(on_ticket_arrived)
        events.subscribe(events.TICKET_STATUS_CHANGED, events.TICKET_ASSIGNED, events.TICKET_MERGED)(
            on_work_changed
        )
        events.subscribe(events.AGENT_PRESENCE_CHANGED)(on_presence_changed)
        for signal in (post_save, post_delete):
            signal.connect(forget_routed_teams, sender=TeamRouting, dispatch_uid=f"routing-forget-{signal}")
