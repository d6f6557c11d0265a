from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "opsroom.analytics"
    label = "analytics"
    verbose_name = "Analytics"
