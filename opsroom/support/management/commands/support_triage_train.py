"""Train the ticket category classifier and calibrate the triage confidences, now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opsroom.core.services.audit import AuditContext
from opsroom.support.services import ticket_category_model_train, triage_confidences_calibrate


class Command(BaseCommand):
    help = (
        "Train the ticket category classifier on labelled tickets (the latest 20% held back "
        "to judge it beside the keyword rules) and store it; it is used only if it beats them. "
        "Then calibrate the severity, feature and blocking confidences on the tickets agents "
        "reviewed (the latest 30% held back); each is used only if it beats the rule strengths."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-embeddings",
            action="store_true",
            help="text features only, even when the embeddings extra is installed",
        )
        parser.add_argument(
            "--confidences-only",
            action="store_true",
            help="only calibrate the severity, feature and blocking confidences",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        audit = AuditContext.system("manage.py support_triage_train")
        if not options["confidences_only"]:
            self._category(audit, embeddings=False if options["no_embeddings"] else None)
        for outcome in triage_confidences_calibrate(audit=audit):
            artifact = outcome.artifact
            if artifact is None:
                self.stdout.write(f"{outcome.label}: {outcome.reason}")
                continue
            before = artifact.baseline_metrics.get("ece")
            after = artifact.metrics.get("ece")
            self.stdout.write(
                f"{outcome.label}: {artifact} ({artifact.method}) on {outcome.labels} reviewed "
                f"tickets, {artifact.test_rows} newest held back: expected calibration error "
                f"{before:.3f} with the rule strengths, {after:.3f} calibrated.\n"
                f"{outcome.reason}\nModel card: {artifact.get_absolute_url()}"
            )

    def _category(self, audit: AuditContext, *, embeddings: bool | None) -> None:
        outcome = ticket_category_model_train(audit=audit, embeddings=embeddings)
        artifact = outcome.artifact
        if artifact is None:
            self.stdout.write(outcome.reason)
            return
        self.stdout.write(
            f"{artifact} ({artifact.method}): trained on {artifact.train_rows} tickets, "
            f"judged on the latest {artifact.test_rows}.\n{outcome.reason}\n"
            f"Model card: {artifact.get_absolute_url()}"
        )
