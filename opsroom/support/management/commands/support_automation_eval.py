"""Report the automations' share of tickets and their precision, on any database."""

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core import clock
from opsroom.support.selectors.automation_eval import automation_evaluate


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = (
        "Share of tickets resolved by an automation with no human, and the precision of those "
        "resolutions (wrong when reopened or rated 1-2 afterwards)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=0, help="only tickets opened in the last N days (0: all)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 0 or days > 36500:
            raise CommandError("--days is between 0 (all tickets) and 36500.")
        start = clock.now() - timedelta(days=days) if days else None
        result = automation_evaluate(start=start)
        figures = {
            "tickets": result.tickets,
            "auto_resolved": result.auto_resolved,
            "share": result.share,
            "reopened": result.reopened,
            "negative_csat": result.negative_csat,
            "rated": result.rated,
            "precision": result.precision,
            "precision_lower_95": result.precision_lower,
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        self.stdout.write(
            f"Tickets: {result.tickets}\n"
            f"Auto-resolved: {result.auto_resolved} ({_pct(result.share)} of tickets)\n"
            f"Wrong afterwards: {result.reopened} reopened, {result.negative_csat} rated 1-2 "
            f"({result.rated} of the auto-resolved were rated)\n"
            f"Precision: {_pct(result.precision)} "
            f"(95% lower bound {_pct(result.precision_lower)})"
        )
