"""Train the ticket category classifier on the labelled tickets, now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opsroom.core.services.audit import AuditContext
from opsroom.support.services import ticket_category_model_train


class Command(BaseCommand):
    help = (
        "Train the ticket category classifier on labelled tickets (the latest 20% held back "
        "to judge it beside the keyword rules) and store it; it is used only if it beats them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-embeddings",
            action="store_true",
            help="text features only, even when the embeddings extra is installed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = ticket_category_model_train(
            audit=AuditContext.system("manage.py support_triage_train"),
            embeddings=False if options["no_embeddings"] else None,
        )
        artifact = outcome.artifact
        if artifact is None:
            self.stdout.write(outcome.reason)
            return
        self.stdout.write(
            f"{artifact} ({artifact.method}): trained on {artifact.train_rows} tickets, "
            f"judged on the latest {artifact.test_rows}.\n{outcome.reason}\n"
            f"Model card: {artifact.get_absolute_url()}"
        )
