"""Validate the health score against churn on past months (see docs/people.md).

Without --from-file: gather samples from this database's history, keep the report (the health
settings page shows it) and print it; --export writes the samples as CSV. With --from-file:
evaluate a CSV file of samples (the --export format) with the current settings; nothing kept.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core import clock
from opsroom.core.errors import DomainError
from opsroom.user360.health_fit import HealthReport, health_report
from opsroom.user360.labels import band_label, component_label
from opsroom.user360.services.health import health_settings_get
from opsroom.user360.services.health_validation import (
    DEFAULT_MONTHS,
    EVERY_DAYS,
    health_samples_gather,
    health_samples_read,
    health_samples_write,
    health_validation_run,
    validation_days,
)


class Command(BaseCommand):
    help = "Validate the health score against churn: churn per band, AUC, fitted weights."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=DEFAULT_MONTHS)
        parser.add_argument("--every-days", type=int, default=EVERY_DAYS)
        parser.add_argument("--export", type=Path, help="also write the samples to this CSV file")
        parser.add_argument("--from-file", type=Path, help="evaluate this CSV file of samples")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = self._report(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"Cannot read or write the file: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self._print(report)

    def _report(self, options: dict[str, Any]) -> HealthReport:
        settings_ = health_settings_get()
        source: Path | None = options["from_file"]
        if source is not None:
            with source.open(newline="", encoding="utf-8") as handle:
                return health_report(health_samples_read(handle), settings_)
        export: Path | None = options["export"]
        if export is not None:
            days = validation_days(
                today=clock.now().date(), months=options["months"], every_days=options["every_days"]
            )
            samples = health_samples_gather(days=days, settings_=settings_)
            with export.open("w", newline="", encoding="utf-8") as handle:
                count = health_samples_write(samples, handle)
            self.stderr.write(f"Wrote {count:,} samples to {export}.")
        run = health_validation_run(months=options["months"], every_days=options["every_days"])
        self.stderr.write(f"Validated in {run.seconds} s; the health settings page shows it.")
        return run.report

    def _print(self, report: HealthReport) -> None:
        write = self.stdout.write
        write(
            f"Paying customers on {report.days} days from {report.first_day} to "
            f"{report.last_day}: {report.samples:,} samples of {report.customers:,} customers, "
            f"{report.churned:,} stopped paying within 30 days."
        )
        write(f"{'Band':<10} {'samples':>8} {'churned':>8} {'30-day churn':>13}  95% interval")
        for band in report.bands:
            interval = (
                f"{band.low:.1%} to {band.high:.1%}"
                if band.low is not None and band.high is not None
                else "—"
            )
            write(
                f"{band_label(band.band):<10} {band.samples:>8,} {band.churned:>8,} "
                f"{band.rate:>13.1%}  {interval}"
            )
        write(f"Bands ordered by churn (Critical most): {'yes' if report.is_ordered else 'NO'}")
        if report.auc is not None:
            interval = (
                f" (95% interval {report.auc_low:.3f} to {report.auc_high:.3f})"
                if report.auc_low is not None and report.auc_high is not None
                else ""
            )
            write(f"AUC of the score against churn: {report.auc:.3f}{interval}")
        fit = report.fit
        if fit is None:
            write(f"No fitted weights: {report.fit_refused}")
            return
        write(
            f"Weights fitted on {fit.fit_first_day} to {fit.fit_last_day} ({fit.fit_samples:,} "
            f"samples), tested on {fit.test_first_day} to {fit.test_last_day} "
            f"({fit.test_samples:,} samples, {fit.test_churned:,} churned):"
        )
        for key, weight in fit.weights.items():
            hand = round(report.weights.get(key, 0) * 100)
            write(f"  {component_label(key):<18} hand-set {hand:>3}%  fitted {weight:>3}%")
        write(
            f"AUC on the later days: hand-set {fit.auc_hand_set:.3f}, fitted {fit.auc_fitted:.3f}"
            f" ({'fitted better' if fit.is_better else 'hand-set as good or better'})"
        )
