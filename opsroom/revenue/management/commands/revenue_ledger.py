"""Bring the MRR ledger up to date now (what the periodic task does), or rebuild it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opsroom.revenue.metrics.services import mrr_ledger_rebuild, mrr_ledger_update


class Command(BaseCommand):
    help = "Update the MRR ledger, snapshots and overview from the change log (--rebuild: all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="recompute everything from scratch"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = mrr_ledger_rebuild() if options["rebuild"] else mrr_ledger_update()
        what = "Rebuilt" if run.rebuilt else "Updated"
        since = f" from {run.from_day}" if run.from_day else ""
        self.stdout.write(
            f"{what} the MRR ledger{since} through {run.through}: {run.people} customers, "
            f"{run.movements} movements, {run.discounts_ended} discounts ended, "
            f"{run.seconds:.1f} s"
        )
