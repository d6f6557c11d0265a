import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.errors import DomainError
from opsroom.core.roles import ROLES
from opsroom.core.services.audit import AuditContext
from opsroom.core.services.staff import staff_create


class Command(BaseCommand):
    help = "Create a staff user with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES, help="the staff role")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="the password (prompted when omitted and the terminal is interactive)",
        )
        parser.add_argument(
            "--no-password", action="store_true", help="create without a usable password"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None and not options["no_password"]:
            try:
                password = getpass.getpass("Password: ")
            except (EOFError, KeyboardInterrupt):
                raise CommandError("No password given; use --password or --no-password.") from None
        try:
            user = staff_create(
                username=options["username"],
                email=options["email"],
                role=options["role"],
                password=password,
                audit=AuditContext.system("manage.py opsroom_staff_create"),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({options['role']})."))
