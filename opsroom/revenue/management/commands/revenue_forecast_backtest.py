"""Backtest the MRR forecast against the naive forecast, on any imported history."""

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core import clock
from opsroom.revenue.forecast.inputs import month_flows
from opsroom.revenue.forecast.model import TRAILING, forecast_backtest
from opsroom.revenue.metrics.services import mrr_ledger_update


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: {text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Fit the forecast on the complete months up to each month t, forecast the months after "
        "it, and print the mean absolute percentage error (MAPE) beside the naive forecast's "
        "(MRR stays where it is)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", help="use the complete months before this day, YYYY-MM-DD (today)"
        )
        parser.add_argument(
            "--horizon-months", type=int, default=3, help="months forecast from each origin (3)"
        )
        parser.add_argument(
            "--no-update", action="store_true", help="do not bring the MRR ledger up to date first"
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        horizon = options["horizon_months"]
        if not 1 <= horizon <= 12:
            raise CommandError("--horizon-months must be 1 to 12.")
        today = _day(options["as_of"]) if options["as_of"] else clock.now().date()
        if not options["no_update"]:
            mrr_ledger_update()
        flows = month_flows(today=today)
        if len(flows) <= TRAILING:
            raise CommandError(
                f"The backtest needs at least {TRAILING + 1} complete months of MRR history "
                f"before {today.isoformat()}; the ledger has {len(flows)}."
            )
        result = forecast_backtest(flows=flows, horizon=horizon)
        if result.points == 0:
            raise CommandError("No month with MRR above zero to score the forecast on.")
        summary = {
            **asdict(result),
            "by_horizon": [
                {"months_ahead": ahead, "model_mape": model, "naive_mape": naive}
                for ahead, model, naive in result.by_horizon
            ],
            "months": len(flows),
            "first_month": flows[0].month.isoformat(),
            "last_month": flows[-1].month.isoformat(),
            "model_beats_naive": (result.model_mape or 0) < (result.naive_mape or 0),
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self.stdout.write(
            f"Forecast backtest on {summary['months']} complete months "
            f"({summary['first_month'][:7]} to {summary['last_month'][:7]}): "
            f"{result.origins} origins, {result.points} forecasts scored, fitted on the "
            f"{TRAILING} months before each origin.\n"
        )
        self.stdout.write(f"{'months ahead':>12}{'model MAPE':>12}{'naive MAPE':>12}")
        for row in summary["by_horizon"]:
            self.stdout.write(
                f"{row['months_ahead']:>12}{row['model_mape']:>12.2%}{row['naive_mape']:>12.2%}"
            )
        self.stdout.write(
            f"{'all':>12}{result.model_mape or 0:>12.2%}{result.naive_mape or 0:>12.2%}"
        )
        verdict = "beats" if summary["model_beats_naive"] else "does not beat"
        self.stdout.write(f"The forecast {verdict} the naive forecast by MAPE.")
