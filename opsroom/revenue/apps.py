from django.apps import AppConfig


class RevenueConfig(AppConfig):
    name = "opsroom.revenue"
    label = "revenue"
    verbose_name = "Revenue"

    def ready(self) -> None:
        from opsroom.core.outbox.registry import performer_register
        from opsroom.revenue.comp_stripe import COMP_GRANT

        performer_register(COMP_GRANT)
        # Registers this app's part of the person snapshot (opsroom.people.snapshot).
        from opsroom.revenue import snapshot  # noqa: F401
