"""Backtest the churn model against the rule score as of a past day, on any imported history."""

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.errors import DomainError
from opsroom.revenue.churn.training import churn_backtest_run


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: {text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Train the churn model on what was known before a day and judge it, beside the rule "
        "score, on who of the customers paying that day churned within the horizon."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, help="the day to predict from, YYYY-MM-DD")
        parser.add_argument("--horizon-days", type=int, default=30, help="days ahead (30)")
        parser.add_argument(
            "--snapshots", type=int, default=6, help="training snapshots before the day (6)"
        )
        parser.add_argument("--step-days", type=int, default=14, help="days between them (14)")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["snapshots"] <= 52 or not 1 <= options["step_days"] <= 90:
            raise CommandError("--snapshots must be 1 to 52 and --step-days 1 to 90.")
        try:
            backtest = churn_backtest_run(
                as_of=_day(options["as_of"]),
                horizon_days=options["horizon_days"],
                snapshots=options["snapshots"],
                step_days=options["step_days"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        summary = backtest.summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self.stdout.write(
            f"Churn within {summary['horizon_days']} days of {summary['as_of']}: "
            f"{summary['test_churned']} of {summary['test_rows']} paying customers.\n"
            f"Trained on {summary['train_rows']} rows ({summary['train_churned']} churned) from "
            f"{len(summary['train_days'])} snapshots, {summary['train_days'][0]} to "
            f"{summary['train_days'][-1]}; calibrated on {summary['calibration_day']}.\n"
        )
        self.stdout.write(f"{'':8}{'ROC AUC':>10}{'Brier':>10}{'lift@10%':>10}")
        for name in ("model", "rule"):
            row = summary[name]
            self.stdout.write(
                f"{name:8}{_fmt(row['roc_auc'], 3):>10}{_fmt(row['brier'], 4):>10}"
                f"{_fmt(row['top_decile_lift'], 2):>10}"
            )
        self.stdout.write("\nCalibration (predicted -> observed churn, customers):")
        self.stdout.write(f"{'bin':>12}{'model':>24}{'rule':>24}")
        for m, r in zip(summary["model_calibration"], summary["rule_calibration"], strict=True):
            if not m["count"] and not r["count"]:
                continue
            self.stdout.write(f"{m['lower']:>5.1f}-{m['upper']:<6.1f}{_bin(m):>24}{_bin(r):>24}")
        verdict = "beats" if summary["model_beats_rule"] else "does not beat"
        self.stdout.write(f"The model {verdict} the rule score by ROC AUC.")


def _bin(row: dict[str, Any]) -> str:
    if not row["count"]:
        return "—"
    return f"{row['mean_predicted']:.2f} -> {row['observed']:.2f} ({row['count']})"


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
