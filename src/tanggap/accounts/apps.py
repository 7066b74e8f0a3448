from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tanggap.accounts"
    label = "accounts"
    verbose_name = _("Agents and teams")
