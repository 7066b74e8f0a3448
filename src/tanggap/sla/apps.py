from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "tanggap.sla"
    label = "sla"
    verbose_name = _("Response targets")

    def ready(self) -> None:
        from tanggap.sla import tasks  # noqa: F401  (registers the periodic sweep)
