"""Bring every revenue table up to date now, in the order the scheduled jobs would: the MRR
ledger, failed-payment cases, the forecast basis, the cohorts, the churn model (trained when
the history allows) and the predictions; and create the design brief's campaigns, paused,
where their email templates exist. A new install or the demo world then has a working command
center at once."""

from typing import Any

from django.core.management.base import BaseCommand

from opsroom.core import clock
from opsroom.core.errors import DomainError
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.campaigns.services import campaign_defaults_ensure
from opsroom.revenue.churn.services import churn_model_train, churn_predictions_refresh
from opsroom.revenue.cohorts.services import cohorts_refresh
from opsroom.revenue.forecast.services import forecast_basis_refresh
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.recovery.services import payment_cases_refresh


class Command(BaseCommand):
    help = "Update the ledger, payment cases, forecast, cohorts, churn model and predictions now."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-train", action="store_true", help="keep the current model")

    def handle(self, *args: Any, **options: Any) -> None:
        audit = AuditContext.system("revenue_refresh")
        ledger = mrr_ledger_update()
        self.stdout.write(
            f"Ledger: {ledger.people} customers, {ledger.movements} movements "
            f"({ledger.seconds:.1f} s)"
        )
        cases = payment_cases_refresh()
        self.stdout.write(f"Payment cases: {cases.cases} ({cases.opened} opened)")
        basis = forecast_basis_refresh(today=clock.now().date())
        self.stdout.write(f"Forecast basis: {len(basis.flows)} months")
        cells, seconds = cohorts_refresh(today=clock.now().date())
        self.stdout.write(f"Cohorts: {cells} cells ({seconds:.1f} s)")
        if not options["no_train"]:
            try:
                artifact = churn_model_train(audit=audit)
            except DomainError as exc:
                self.stdout.write(f"Churn model not trained: {exc.message}")
            else:
                self.stdout.write(f"Churn model v{artifact.version}: {artifact.decision}")
        run = churn_predictions_refresh()
        self.stdout.write(f"Churn predictions: {run.customers} customers (by the {run.source})")
        created = campaign_defaults_ensure(audit=audit)
        if created:
            self.stdout.write(f"Campaigns created (paused): {', '.join(created)}")
