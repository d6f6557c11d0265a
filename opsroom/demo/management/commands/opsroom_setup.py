from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.models import User
from opsroom.core.roles import ADMIN, ANALYST, BILLING_SPECIALIST, SUPPORT_AGENT
from opsroom.core.services.audit import AuditContext
from opsroom.core.services.staff import staff_create
from opsroom.people.models import Person

DEMO_PASSWORD = "opsroom-demo"  # noqa: S105 - the demo logins are public by design
DEMO_HEALTH_HISTORY_DAYS = 30
DEMO_STAFF = [
    ("admin", ADMIN),
    ("support", SUPPORT_AGENT),
    ("billing", BILLING_SPECIALIST),
    ("analyst", ANALYST),
]


class Command(BaseCommand):
    help = "On an empty database, create the demo staff logins and the demo world."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=2000)
        parser.add_argument("--months", type=int, default=18)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        audit = AuditContext.system("manage.py opsroom_setup")
        if not User.objects.exists():
            for username, role in DEMO_STAFF:
                staff_create(
                    username=username,
                    email=f"{username}@example.com",
                    role=role,
                    password=DEMO_PASSWORD,
                    audit=audit,
                )
            self.stdout.write("Created the demo staff logins.")
        if not Person.objects.exists():
            if "opsroom_demo" not in get_commands():
                raise CommandError("The demo world generator (opsroom_demo) is not installed.")
            call_command(
                "opsroom_demo",
                people=options["people"],
                months=options["months"],
                seed=options["seed"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
            if "people_refresh" in get_commands():
                # The daily jobs have not run yet: score everyone now (with a month of
                # history for the sparkline) so the People pages show health and insights.
                call_command(
                    "people_refresh",
                    history_days=DEMO_HEALTH_HISTORY_DAYS,
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
            if "people_health_validate" in get_commands():
                # The health page shows how the score did against churn on past months.
                try:
                    call_command("people_health_validate", stdout=self.stdout, stderr=self.stderr)
                except CommandError as exc:
                    self.stdout.write(f"Health validation skipped: {exc}")
            if "revenue_refresh" in get_commands():
                # The revenue jobs have not run yet: the ledger, predictions and campaigns now.
                call_command("revenue_refresh", stdout=self.stdout, stderr=self.stderr)
        else:
            self.stdout.write("The database already holds data; the demo world is left as it is.")
