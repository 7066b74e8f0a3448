from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "tanggap.analytics"
    label = "analytics"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from tanggap.analytics.services import figures_refresh_hook
        from tanggap.sla.services import on_clocks_refreshed

        # The clock sweep calls it for each batch of changed tickets, in the transaction that stores
        # their clocks: the figures change with the same writes, and a crash loses neither.
        on_clocks_refreshed(figures_refresh_hook)
