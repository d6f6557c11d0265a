from django.apps import AppConfig


class User360Config(AppConfig):
    name = "opsroom.user360"
    label = "user360"
    verbose_name = "People (User 360)"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.user360 import snapshot  # noqa: F401
