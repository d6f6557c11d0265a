from typing import Any

from django.core.management.base import BaseCommand

from opsroom.core.roles import role_table


class Command(BaseCommand):
    help = (
        "Print the role table of docs/operating.md, generated from opsroom/core/roles.py "
        "(paste it between the markers; a test fails while they differ)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(role_table(), ending="")
