"""Compare customers' billing records with Stripe: one person, or a sweep of Stripe customers.

Exit status: 0 when every customer checked is in sync, 1 when any has drifted, 2 when a customer
could not be compared (Stripe not configured, a Stripe error, no Stripe customer id).
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.people.models import Person
from opsroom.revenue.stripe_drift import (
    DriftReport,
    State,
    stripe_configured,
    stripe_customer_people,
    stripe_drift_for_person,
)
from opsroom.revenue.templatetags.revenue_format import drift_value


class Command(BaseCommand):
    help = "Compare customers' subscriptions, invoices and card with Stripe; exit 1 on drift."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--person", type=int, help="the Opsroom person id of one customer")
        which.add_argument("--all", action="store_true", help="every Stripe customer (see --limit)")
        parser.add_argument(
            "--limit", type=int, default=100, help="with --all: at most this many (default 100)"
        )
        parser.add_argument("--json", action="store_true", help="one JSON list on standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if not stripe_configured():
            self.stderr.write("Stripe is not configured: set STRIPE_API_KEY to compare with it.")
            sys.exit(2)
        if options["all"]:
            if options["limit"] < 1:
                raise CommandError("--limit must be 1 or more.")
            person_ids = stripe_customer_people(limit=options["limit"])
        else:
            person_ids = [options["person"]]
        people = Person.objects.in_bulk(
            [pk for pk in person_ids if 0 < pk < 2**63], field_name="pk"
        )
        if options["person"] is not None and not people:
            raise CommandError(f"No person {options['person']}.")
        reports = [stripe_drift_for_person(person=people[pk]) for pk in person_ids if pk in people]
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(r) for r in reports], indent=2))
        else:
            for report in reports:
                self._print(report)
            drifted = sum(r.has_drift for r in reports)
            self.stdout.write(
                f"{len(reports)} customer{'s' if len(reports) != 1 else ''} checked: "
                f"{drifted} with drift, "
                f"{sum(r.state == State.STRIPE_ERROR for r in reports)} Stripe errors."
            )
        if any(r.has_drift for r in reports):
            sys.exit(1)
        if any(r.state not in (State.IN_SYNC, State.DRIFT) for r in reports):
            sys.exit(2)

    def _print(self, report: DriftReport) -> None:
        who = f"person {report.person_id} ({report.customer_id or 'no Stripe customer'})"
        self.stdout.write(f"{who}: {report.state}: {report.message}")
        for d in report.differences:
            self.stdout.write(
                f"  {d.kind} {d.object_id} {d.field}: Opsroom {drift_value(d.opsroom)}, "
                f"Stripe {drift_value(d.stripe)}"
            )


def _as_json(report: DriftReport) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        "person_id": report.person_id,
        "customer_id": report.customer_id,
        "state": report.state,
        "message": report.message,
        "checked_at": report.checked_at.isoformat(),
        "subscriptions_compared": report.subscriptions_compared,
        "invoices_compared": report.invoices_compared,
        "differences": [
            {
                "kind": d.kind,
                "object_id": d.object_id,
                "field": d.field,
                "opsroom": plain(d.opsroom),
                "stripe": plain(d.stripe),
            }
            for d in report.differences
        ],
    }
