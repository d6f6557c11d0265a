from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "opsroom.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        # Registers this app's point-in-time signals (opsroom.people.signals).
        from opsroom.core.outbox.registry import performer_register
        from opsroom.people.signals import signal_source_register
        from opsroom.support import snapshot  # noqa: F401
        from opsroom.support.signals import TICKET_SIGNALS

        signal_source_register(TICKET_SIGNALS)

        from opsroom.support.services.escalations import ESCALATION_EMAIL

        performer_register(ESCALATION_EMAIL)

        from opsroom.support.services.automation_stripe import CANCEL, INVOICES, OFFER, UNCANCEL

        for performer in (CANCEL, INVOICES, UNCANCEL, OFFER):
            performer_register(performer)
