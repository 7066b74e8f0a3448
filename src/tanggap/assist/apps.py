from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "tanggap.assist"
    label = "assist"
    verbose_name = _("Assist")

    def ready(self) -> None:
        from tanggap.assist import tasks  # noqa: F401  (registers the catch-up sweep)
        from tanggap.assist.services import on_message_received, on_ticket_merged
        from tanggap.core import events

        events.subscribe(events.MESSAGE_RECEIVED)(on_message_received)
        events.subscribe(events.TICKET_MERGED)(on_ticket_merged)
