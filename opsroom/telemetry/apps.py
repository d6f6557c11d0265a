from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "opsroom.telemetry"
    label = "telemetry"
    verbose_name = "Telemetry"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.telemetry import snapshot  # noqa: F401
