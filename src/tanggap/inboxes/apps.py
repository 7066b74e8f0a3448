from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxesConfig(AppConfig):
    name = "tanggap.inboxes"
    label = "inboxes"
    verbose_name = _("Inboxes")

    def ready(self) -> None:
        from tanggap.inboxes import outbound, tasks  # noqa: F401  (tasks registers the periodic job)

        # Replies on e-mail and web-form tickets leave as mail; the outbox sends them.
        outbound.register()
