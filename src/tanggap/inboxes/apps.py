from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxesConfig(AppConfig):
    name = "tanggap.inboxes"
    label = "inboxes"
    verbose_name = _("Inboxes")

    def ready(self) -> None:
        from tanggap.inboxes import tasks  # noqa: F401  (registers the periodic job)
