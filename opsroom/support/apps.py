from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "opsroom.support"
    label = "support"
    verbose_name = "Support"
