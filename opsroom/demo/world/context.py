"""The world every simulated family lives in: its dates, randomness, releases and staff."""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from opsroom.demo.world.ai_usage import AiUsage
from opsroom.demo.world.records import Batch, Ids, TicketTruth
from opsroom.demo.world.releases import PLANTED_ERRORS, ErrorDef, Releases, releases_plan
from opsroom.demo.world.state import PersonSim
from opsroom.demo.world.traffic import API_LOG_DAYS, errors_by_route


@dataclass(frozen=True)
class WorldConfig:
    people: int
    months: int
    seed: int
    start: datetime
    horizon: datetime  # the simulated "now": nothing happens at or after it


@dataclass(frozen=True)
class Agent:
    """Who answers tickets: a staff user when there are staff, else a named agent only."""

    user_id: int | None
    name: str


@dataclass
class ErrorTrace:
    """When a planted error happened: in all, per endpoint, and within the API log window."""

    first: datetime
    last: datetime
    endpoints: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    logged: tuple[datetime, datetime] | None = None

    def add(self, at: datetime, endpoint: str, *, logged: bool) -> None:
        self.first, self.last = min(self.first, at), max(self.last, at)
        low, high = self.endpoints.get(endpoint, (at, at))
        self.endpoints[endpoint] = (min(low, at), max(high, at))
        if logged:
            low, high = self.logged or (at, at)
            self.logged = (min(low, at), max(high, at))


@dataclass
class Story:
    """Facts about the planted stories, for the summary, the docs and the anomaly labels."""

    bug_people: set[str] = field(default_factory=set)
    template_adopters: int = 0
    banned: int = 0
    # The planted errors (the bug, the old export bug, the database incident) as they happened.
    planted: dict[str, ErrorTrace] = field(default_factory=dict)


class World:
    """Shared state of one simulation run."""

    def __init__(self, config: WorldConfig, *, support: list[Agent], billing: list[Agent]) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.ids = Ids(config.seed)
        self.horizon = config.horizon
        self.start = config.start
        span = config.horizon - config.start
        self.releases: Releases = releases_plan(
            random.Random(f"opsroom-demo-releases:{config.seed}"),
            start=config.start,
            horizon=config.horizon,
        )
        self.api_log_from = config.horizon - timedelta(days=API_LOG_DAYS)
        self.legacy_price_until = config.start + span * 0.3
        self.templates_launch = config.start + span * 0.45
        self.experiment_from = max(config.start + span * 0.3, config.horizon - timedelta(days=70))
        self.ai_coach_widened = max(config.start + span * 0.5, config.horizon - timedelta(days=60))
        self.support_agents = support or [Agent(None, name) for name in ("Priya", "Marcus", "Lena")]
        self.billing_agents = billing or [Agent(None, "Tom")]
        self.batch = Batch()
        self.ai = AiUsage(seed=config.seed, horizon=config.horizon)
        self.used_emails: set[str] = set()
        self.story = Story()
        # Signups per (month, last-touch channel, campaign), for the marketing spend.
        self.marketing: Counter[tuple[date, str, str]] = Counter()
        self._route_errors = errors_by_route(self.releases.errors)
        self._everywhere = [e for e in self.releases.errors if not e.routes]
        self._tickets = 0
        # Feature-availability questions: their own stream and numbers (feature_questions.py).
        self.feature_rng = random.Random(f"opsroom-demo-feature-questions:{config.seed}")
        self.feature_tickets = 0
        # Each ticket's truth (by external id), for the demo agents' review of the analyses.
        self.ticket_truth: dict[str, TicketTruth] = {}

    def next_ticket_number(self) -> int:
        self._tickets += 1
        return 10000 + self._tickets

    def error_for(
        self, person: PersonSim, route_key: str, at: datetime, context: dict[str, Any] | None
    ) -> ErrorDef | None:
        """The error, if any, that serving this call raises."""
        rng = self.rng
        for error in self._everywhere:
            if error.is_active(at) and rng.random() < error.rate:
                return error
        for error in self._route_errors[route_key]:
            if not error.is_active(at):
                continue
            if error.needs_allergy and not (context and context.get("allergies")):
                continue
            if error.web_only and person.platform != "web":
                continue
            if error.platform and person.platform != error.platform:
                continue
            if rng.random() < error.rate:
                return error
        return None

    def error_record(
        self, person: PersonSim | None, error: ErrorDef, at: datetime, *, endpoint: str,
        request_id: str,
    ) -> None:  # fmt: skip
        """One occurrence of an error, as the error tracker would report it."""
        if at >= self.horizon:
            return
        release = self.releases.api_release_at(at)
        tags: dict[str, Any] = {
            "transaction": endpoint,
            "server_name": f"api-{self.rng.randint(1, 6)}",
        }
        if error.web_only:
            release = "web@" + release.split("@")[1]
            tags = {"transaction": endpoint, "browser": "Chrome 130", "os": "Mac OS X"}
        if request_id:
            tags["request_id"] = request_id
        if error.key in PLANTED_ERRORS:
            trace = self.story.planted.setdefault(error.key, ErrorTrace(at, at))
            trace.add(at, endpoint, logged=at >= self.api_log_from)
        if person is not None:
            tags["platform"] = person.platform
            tags["app_version"] = self.releases.app_version_at(at, lag=person.app_lag)
            if error.needs_allergy:
                self.story.bug_people.add(person.external_id)
        self.batch.errors.append(
            {
                "event_id": self.ids.hex(128),
                "fingerprint": error.fingerprint,
                "issue_id": error.issue_id,
                "title": error.title,
                "message": error.message,
                "level": error.level,
                "endpoint": endpoint,
                "release": release,
                "environment": "production",
                "_person": person.external_id if person is not None else None,
                "occurred_at": at,
                "received_at": at + timedelta(seconds=self.rng.randint(1, 20)),
                "tags": tags,
            }
        )
