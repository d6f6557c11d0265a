from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "opsroom.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.messaging import snapshot  # noqa: F401
