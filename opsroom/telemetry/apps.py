from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "opsroom.telemetry"
    label = "telemetry"
    verbose_name = "Telemetry"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        # Registers this app's point-in-time signals (opsroom.people.signals).
        from opsroom.people.signals import signal_source_register
        from opsroom.telemetry import snapshot  # noqa: F401
        from opsroom.telemetry.signals import ERROR_SIGNALS

        signal_source_register(ERROR_SIGNALS)
