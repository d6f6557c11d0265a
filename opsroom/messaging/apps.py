from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "opsroom.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from opsroom.core.outbox.registry import performer_register
        from opsroom.messaging.sending import EMAIL_SEND

        performer_register(EMAIL_SEND)
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.messaging import snapshot  # noqa: F401
        from opsroom.messaging.signals import EMAIL_SIGNALS

        # Registers this app's point-in-time signals (opsroom.people.signals).
        from opsroom.people.signals import signal_source_register

        signal_source_register(EMAIL_SIGNALS)
