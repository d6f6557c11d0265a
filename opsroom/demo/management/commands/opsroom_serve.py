import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.models import User
from opsroom.demo.management.commands.opsroom_setup import DEMO_PASSWORD, DEMO_STAFF


class Command(BaseCommand):
    help = "Run the web server, the task worker and the scheduler together; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("OPSROOM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("OPSROOM_PORT", "8000")))

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if not settings.DEBUG:
            raise CommandError(
                "opsroom_serve runs Django's development server, which is not built for "
                "production (no worker limits, no request timeouts): it starts only with "
                "DEBUG=1. In production run `gunicorn config.wsgi -w 4 -b 0.0.0.0:8000`, "
                "`manage.py db_worker` and `manage.py opsroom_scheduler` (docs/operating.md)."
            )
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        address = f"{options['host']}:{options['port']}"
        commands = {
            "web": [*manage, "runserver", address, "--noreload"],
            "worker": [*manage, "db_worker", "--no-reload", "--interval", "1"],
            "scheduler": [*manage, "opsroom_scheduler"],
        }
        processes = {
            name: subprocess.Popen(command)  # noqa: S603 - fixed argument lists, no shell
            for name, command in commands.items()
        }
        self._announce(address)
        try:
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        raise CommandError(
                            f"The {name} process stopped (exit {process.returncode})."
                        )
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _announce(self, address: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nOpsroom is running at http://{address}/"))
        demo = [name for name, _ in DEMO_STAFF if User.objects.filter(username=name).exists()]
        if demo:
            self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
            for name, role in DEMO_STAFF:
                if name in demo:
                    self.stdout.write(f"  {name:<8} {role}")
        self.stdout.write("Press Ctrl-C to stop the web server, worker and scheduler.\n")
