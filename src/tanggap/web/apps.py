from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tanggap.web"
    label = "web"
    verbose_name = "Agent workspace"
