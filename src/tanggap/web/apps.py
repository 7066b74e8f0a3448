from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tanggap.web"
    label = "web"
    verbose_name = "Agent workspace"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tanggap.web.middleware import note_sign_in

        user_logged_in.connect(note_sign_in, dispatch_uid="web-activity-sign-in")
