from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "opsroom.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.support import snapshot  # noqa: F401
