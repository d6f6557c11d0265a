"""Recompute every ticket's stored SLA (due time, target, met or missed) from its policy."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opsroom.support.services.sla import tickets_sla_backfill


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--open-only", action="store_true", help="only tickets not solved")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = tickets_sla_backfill(open_only=options["open_only"])
        self.stdout.write(f"{changed} tickets' SLA updated.")
