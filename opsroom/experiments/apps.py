from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "opsroom.experiments"
    label = "experiments"
    verbose_name = "Experiments"
