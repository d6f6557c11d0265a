"""Build the demo world: a deterministic history of a family meal-planning app.

Same people, months, seed and end date give the same world (database ids aside).
"""

import calendar
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from tqdm import tqdm

from opsroom.analytics.services.anomaly_labels import anomaly_labels_replace
from opsroom.core import clock
from opsroom.core.bulk import few_collections
from opsroom.core.errors import InvalidInput
from opsroom.demo.review import triage_history_review
from opsroom.demo.selectors import staff_for_permission
from opsroom.demo.world.context import Agent, World, WorldConfig
from opsroom.demo.world.labels import anomaly_labels, label_as_dict
from opsroom.demo.world.simulation import days_between, world_days
from opsroom.demo.writer import Writer

MAX_MONTHS = 60


@dataclass
class WorldSummary:
    people: int
    months: int
    seed: int
    start: datetime
    horizon: datetime
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    story: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "months": self.months,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "horizon": self.horizon.isoformat(),
            "seconds": round(self.seconds, 2),
            "rows": self.rows,
            "story": self.story,
        }


def world_window(*, months: int, end: date | None, now: datetime) -> tuple[datetime, datetime]:
    """The simulated start and horizon ('now' of the world) for an end date.

    A past end date runs to the end of that day; today (the default) runs to the current hour.
    """
    today = now.astimezone(UTC).date()
    end = end or today
    if end > today:
        raise InvalidInput(f"The end date {end.isoformat()} is in the future (today is {today}).")
    if end == today:
        horizon = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    else:
        horizon = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    index = end.year * 12 + end.month - 1 - months
    year, month = index // 12, index % 12 + 1
    day = min(end.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, tzinfo=UTC), horizon


def demo_world_build(
    *, people: int, months: int, seed: int, end: date | None = None, progress: bool = True
) -> WorldSummary:
    """Simulate the world and write it through the owning apps' services."""
    if people < 1:
        raise InvalidInput("--people must be a positive number.")
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"--months must be between 1 and {MAX_MONTHS}.")
    started = time.monotonic()
    start, horizon = world_window(months=months, end=end, now=clock.now())
    config = WorldConfig(people=people, months=months, seed=seed, start=start, horizon=horizon)
    support = staff_for_permission(
        permission="support.change_ticket", unless="revenue.change_subscription"
    )
    billing = staff_for_permission(
        permission="revenue.change_subscription", unless="people.impersonate_person"
    )
    world = World(
        config,
        support=[
            Agent(user.pk, user.get_short_name() or user.get_username().title()) for user in support
        ],
        billing=[
            Agent(user.pk, user.get_short_name() or user.get_username().title()) for user in billing
        ],
    )
    writer = Writer(note_authors={"support": support[0] if support else None,
                                  "billing": billing[0] if billing else None},
                    horizon=horizon)  # fmt: skip
    # Debug mode keeps every SQL statement with its parameters; for a world of hundreds of
    # thousands of rows that costs minutes and hundreds of megabytes, so it is off here.
    with override_settings(DEBUG=False), few_collections():
        _write(world, writer, days=days_between(start, horizon), progress=progress)
        with transaction.atomic():
            reviewed = triage_history_review(truth=world.ticket_truth, seed=seed)
    labels = anomaly_labels(world)
    anomaly_labels_replace(source="demo", labels=labels)
    releases = world.releases
    loop = world.ai.loop
    summary = WorldSummary(people=people, months=months, seed=seed, start=start, horizon=horizon)
    summary.seconds = time.monotonic() - started
    summary.rows = dict(
        sorted(
            {
                **writer.counts,
                "ticket_analyses": reviewed["analysed"],
                "analysis_corrections": reviewed["corrections"],
            }.items()
        )
    )
    summary.story = {
        "bug_release": releases.bug_release,
        "fix_release": releases.fix_release,
        "bug_deployed_at": releases.bug_from.isoformat(),
        "fix_deployed_at": releases.bug_until.isoformat(),
        "bug_people": len(world.story.bug_people),
        "templates_launched_at": world.templates_launch.isoformat(),
        "template_adopters": world.story.template_adopters,
        "experiment_started_at": world.experiment_from.isoformat(),
        "api_log_from": world.api_log_from.isoformat(),
        "banned": world.story.banned,
        "ai_loop": {
            "endpoint": loop.endpoint,
            "first_call_at": loop.first.isoformat() if loop.first else None,
            "last_call_at": loop.last.isoformat() if loop.last else None,
            "plans": loop.plans,
            "calls": loop.calls,
            "cost_usd": round(loop.cost_micros / 1e6, 2),
        },
        "anomaly_labels": [label_as_dict(label) for label in labels],
    }
    return summary


def _write(world: World, writer: Writer, *, days: int, progress: bool) -> None:
    writer.static(world)
    bar = tqdm(
        total=days,
        unit="day",
        desc="demo world",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    with bar:
        simulated = world_days(world)
        finished = False
        while not finished:
            # A week per transaction: commits are the slow part of writing on SQLite.
            with transaction.atomic():
                for _ in range(7):
                    day = next(simulated, None)
                    if day is None:
                        finished = True
                        break
                    writer.flush(*day)
                    bar.update(1)
                writer.flush_pending()
        writer.marketing_spend(world)
