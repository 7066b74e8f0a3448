from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tanggap.accounts"
    label = "accounts"
    verbose_name = _("Agents and teams")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from tanggap.accounts.presence import signed_in, signed_out

        def _in(sender: object, request: object, user: object, **kwargs: object) -> None:
            signed_in(user)  # type: ignore[arg-type]

        def _out(sender: object, request: object, user: object, **kwargs: object) -> None:
            if user is not None:
                signed_out(user)  # type: ignore[arg-type]

        user_logged_in.connect(_in, dispatch_uid="presence-signed-in", weak=False)
        user_logged_out.connect(_out, dispatch_uid="presence-signed-out", weak=False)
