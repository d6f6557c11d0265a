from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "opsroom.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from opsroom.analytics.alerts import ALERT_EMAIL, ALERT_WEBHOOK
        from opsroom.core.outbox.registry import performer_register

        performer_register(ALERT_EMAIL)
        performer_register(ALERT_WEBHOOK)
