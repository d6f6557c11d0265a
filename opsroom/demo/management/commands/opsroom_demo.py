import json
import re
import resource
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.errors import DomainError
from opsroom.demo.quality import world_quality
from opsroom.demo.selectors import host_data_present
from opsroom.demo.services import MAX_MONTHS, demo_world_build

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Command(BaseCommand):
    help = (
        "Build the demo world: a deterministic history of a family meal-planning app "
        "(people, subscriptions, payments, events, API calls, errors, tickets, flags, emails). "
        "Only into a database that holds no host-app data yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=2000, help="families (default 2000)")
        parser.add_argument(
            "--months", type=int, default=18, help=f"months of history, 1-{MAX_MONTHS} (default 18)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--end",
            default=None,
            help="last simulated day, YYYY-MM-DD (default today UTC, up to the current hour)",
        )
        parser.add_argument(
            "--summary-json", default=None, help="also write the figures of the run to this file"
        )
        parser.add_argument(
            "--measure",
            action="store_true",
            help="afterwards, measure the planted stories (churn AUC, experiment lift...) "
            "into the summary",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        people, months = options["people"], options["months"]
        if people < 1:
            raise CommandError("--people must be a positive number.")
        if not 1 <= months <= MAX_MONTHS:
            raise CommandError(f"--months must be between 1 and {MAX_MONTHS}.")
        end = _end_date(options["end"])
        present = host_data_present()
        if present:
            raise CommandError(
                f"The database already holds {', '.join(present)}; the demo world is only built "
                "into an empty database. Use a fresh database (DATABASE_URL=... manage.py migrate) "
                "or empty this one with `manage.py flush`."
            )
        verbosity = options["verbosity"]
        try:
            summary = demo_world_build(
                people=people, months=months, seed=options["seed"], end=end, progress=verbosity > 0
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        figures = summary.as_dict()
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if options["measure"]:
            figures["quality"] = world_quality(story=summary.story, horizon=summary.horizon)
        if options["summary_json"]:
            Path(options["summary_json"]).write_text(json.dumps(figures, indent=2) + "\n")
        if verbosity > 0:
            rows = ", ".join(f"{count:,} {kind}" for kind, count in summary.rows.items())
            self.stdout.write(
                f"Built the demo world in {summary.seconds:.1f}s "
                f"({summary.start:%Y-%m-%d} to {summary.horizon:%Y-%m-%d %H:%M} UTC): {rows}."
            )
        if verbosity > 1:
            self.stdout.write(json.dumps(figures, indent=2))


def _end_date(value: str | None) -> date | None:
    if value is None:
        return None
    if not _DATE.match(value):
        raise CommandError(f"--end must be a date as YYYY-MM-DD, not {value!r}.")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--end {value!r} is not a real date: {exc}.") from exc
