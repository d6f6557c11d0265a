from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "opsroom.demo"
    label = "demo"
    verbose_name = "Demo world"
