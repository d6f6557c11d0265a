from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "opsroom.telemetry"
    label = "telemetry"
    verbose_name = "Telemetry"
