import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core import clock
from opsroom.core.schedule import SCHEDULE
from opsroom.core.services.scheduling import schedule_tick


class Command(BaseCommand):
    help = "Enqueue periodic jobs when their slots come due (see opsroom/core/schedule.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=20.0, help="seconds between checks (default 20)"
        )
        parser.add_argument("--once", action="store_true", help="check once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Scheduler watching {len(SCHEDULE)} job(s).")
        while not stopping:
            for claim in schedule_tick(now=clock.now()):
                self.stdout.write(f"Enqueued {claim.job} for {claim.slot_at:%Y-%m-%d %H:%M} UTC")
            if options["once"]:
                return
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
