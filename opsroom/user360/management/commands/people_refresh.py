"""Recompute the People app's derived tables now: error spread, feature lift, health scores.

With --history-days N the health scores of the last N days are computed too (oldest first, as
the daily job would have), so a new install or the demo world has a sparkline at once.
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.analytics.services.spread import error_spread_refresh
from opsroom.core import clock
from opsroom.user360.services.health import feature_lift_refresh, health_scores_compute

MAX_HISTORY_DAYS = 365


class Command(BaseCommand):
    help = "Recompute error spread, feature lift and health scores (optionally past days too)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            help=f"also score each of the last N days (0-{MAX_HISTORY_DAYS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["history_days"]
        if not 0 <= days <= MAX_HISTORY_DAYS:
            raise CommandError(f"--history-days must be between 0 and {MAX_HISTORY_DAYS}.")
        now = clock.now()
        self.stdout.write(f"Error spread: {error_spread_refresh()} fingerprints")
        for offset in range(days, 0, -1):
            day = (now - timedelta(days=offset)).date()
            # As the daily job would have run that day.
            with clock.clock_frozen_at(datetime.combine(day, time(2, 15), tzinfo=now.tzinfo)):
                health_scores_compute(on=day)
        run = health_scores_compute()
        bands = ", ".join(f"{band} {count}" for band, count in sorted(run.bands.items()))
        self.stdout.write(f"Health: {run.people} people scored in {run.seconds} s ({bands})")
        # After the health run, which detects the core features the lift is computed for.
        self.stdout.write(f"Feature lift: {feature_lift_refresh()} rows")
