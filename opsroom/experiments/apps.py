from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "opsroom.experiments"
    label = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.experiments import snapshot  # noqa: F401
