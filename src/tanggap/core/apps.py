from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tanggap.core"
    label = "core"
    verbose_name = "Tanggap core"

    def ready(self) -> None:
        from tanggap.core import lookups, tasks  # noqa: F401  (registers lookups and periodic jobs)
