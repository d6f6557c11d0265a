"""Train the churn model on the history and register it with the model store."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.errors import DomainError
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.churn.services import churn_model_train


class Command(BaseCommand):
    help = (
        "Train the churn model (held-back test: the last complete horizon) and store it; it "
        "is switched on only if it beats the rule score there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--horizon-days", type=int, default=30, help="days ahead (30)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            artifact = churn_model_train(
                horizon_days=options["horizon_days"],
                audit=AuditContext.system("revenue_churn_train"),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{artifact.name} v{artifact.version}: {artifact.decision}")
