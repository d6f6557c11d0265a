from django.apps import AppConfig


class RevenueConfig(AppConfig):
    name = "opsroom.revenue"
    label = "revenue"
    verbose_name = "Revenue"

    def ready(self) -> None:
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.revenue import snapshot  # noqa: F401
