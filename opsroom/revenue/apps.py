from django.apps import AppConfig


class RevenueConfig(AppConfig):
    name = "opsroom.revenue"
    label = "revenue"
    verbose_name = "Revenue"

    def ready(self) -> None:
        from opsroom.core.outbox.registry import performer_register
        from opsroom.revenue.comp_stripe import COMP_GRANT
        from opsroom.revenue.recovery.stripe_retry import INVOICE_RETRY

        performer_register(COMP_GRANT)
        performer_register(INVOICE_RETRY)
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        # Registers this app's point-in-time signals (opsroom.people.signals).
        from opsroom.people.signals import signal_source_register
        from opsroom.revenue import snapshot  # noqa: F401
        from opsroom.revenue.churn.signals import REVENUE_SIGNALS

        signal_source_register(REVENUE_SIGNALS)
