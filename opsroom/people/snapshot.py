"""The person snapshot: everything Opsroom knows about one person, as numbers, dates and enums.

The User 360 page, the people API, "ask about this user", a ticket's context, the support
copilot and the churn model all read this one snapshot, so they cannot drift apart.
Formatting (money, labels, durations) happens in templates and schemas, never here.

Each part is provided by the app that owns its data (revenue the billing part, support the
support part...): an app registers its provider in its `AppConfig.ready()`, so this identity
layer assembles the snapshot without importing any app above it (docs/ARCHITECTURE.md).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

from opsroom.core import clock
from opsroom.people.models import Person
from opsroom.people.selectors.activity import PersonActivity

T = TypeVar("T")

# Variants that mean "not switched on".
OFF_VARIANTS = ("off", "control", "false", "disabled")


@dataclass(frozen=True)
class PersonFacts:
    id: int
    external_id: str
    email: str
    name: str
    status: str  # Person.Status
    is_vip: bool
    is_placeholder: bool
    acquisition_channel: str
    signed_up_at: datetime | None
    last_seen_at: datetime | None
    account_age_days: int | None
    attributes: dict[str, Any]
    tags: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return self.name or self.email or f"user {self.external_id}"


@dataclass(frozen=True)
class UsageCount:
    event: str
    label: str  # the operator's label for it; "" when they set none
    count_30d: int


@dataclass(frozen=True)
class ActivityFacts:
    login_events: tuple[str, ...]
    last_login: date | None
    last_active: date | None
    active_days_7d: int
    active_days_30d: int
    events_7d: int
    events_30d: int
    usage_30d: tuple[UsageCount, ...]  # the configured counters, or their most frequent events
    core_features: tuple[str, ...]  # the events health counts as core features
    core_features_used_30d: tuple[str, ...]
    daily: PersonActivity = field(repr=False)  # the 180-day daily rollups behind these figures


@dataclass(frozen=True)
class HealthComponentFacts:
    key: str
    score: int | None  # None: does not apply to this person
    weight: float
    figure: str  # the measurement behind the score, as the scoring task recorded it


@dataclass(frozen=True)
class HealthFacts:
    score: int
    band: str  # user360.HealthBand
    components: tuple[HealthComponentFacts, ...]
    computed_at: datetime | None  # None: computed now, the daily task has not scored them yet
    history: tuple[tuple[date, int], ...]
    change_7d: int | None
    healthy_min: int
    at_risk_min: int
    uncapped_score: int | None = None  # the weighted score when payment trouble capped it
    new_days: int = 14  # people younger than this are New


@dataclass(frozen=True)
class PaymentFacts:
    status: str  # revenue.PaymentAttempt.Status
    attempted_at: datetime
    amount: int
    currency: str
    attempt_number: int
    decline_code: str
    failure_message: str
    card_brand: str
    card_last4: str
    next_retry_at: datetime | None


@dataclass(frozen=True)
class BillingFacts:
    status: str  # revenue.Subscription.Status, or "none"
    subscription_id: int | None
    provider_subscription_id: str
    plan_id: int | None
    plan_code: str
    plan_name: str  # "" for a custom price
    tier: str
    interval: str
    interval_count: int
    quantity: int
    mrr: int  # minor units of `currency`
    currency: str
    charge_amount: int  # each charge before discounts: price x quantity
    is_live: bool
    is_complimentary: bool
    discount_percent: float
    discount_ends_at: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    next_charge_at: datetime | None
    next_charge_amount: int | None  # what that charge will be, discounts applied
    # A comp (complimentary months): free until then, and the first charge paid after it.
    complimentary_until: datetime | None
    next_paid_charge_at: datetime | None
    next_paid_charge_amount: int | None
    ends_at: datetime | None
    card_brand: str
    card_last4: str
    card_expires: date | None  # the last day the card is valid
    provider_customer_id: str
    dashboard_url: str  # the customer at the payment provider, "" when unknown
    lifetime_value: dict[str, int]  # paid net of refunds, per currency
    payments_failed_30d: int
    last_payment: PaymentFacts | None  # the latest attempt in the last 30 days


@dataclass(frozen=True)
class TicketFacts:
    id: int
    subject: str
    status: str  # support.Ticket.Status
    priority: str
    category: str
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class SupportFacts:
    open: int
    total: int
    resolved: int
    tickets_30d: int
    average_resolution_hours: float | None
    last_ticket: TicketFacts | None


@dataclass(frozen=True)
class ErrorGroupFacts:
    fingerprint: str
    title: str
    endpoint: str
    issue_id: str
    release: str
    count: int
    last_at: datetime


@dataclass(frozen=True)
class ErrorFacts:
    count_7d: int
    count_30d: int
    groups_7d: tuple[ErrorGroupFacts, ...]  # most frequent first
    groups_30d: tuple[ErrorGroupFacts, ...]


@dataclass(frozen=True)
class ServedVariant:
    variant: str
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class FlagFacts:
    key: str
    name: str
    experiment: str
    served: tuple[ServedVariant, ...]  # actually served (exposures), latest first
    simulated_variant: str  # what the current rules give; "" when they cannot be evaluated
    simulated_reason: str

    @property
    def served_variant(self) -> str:
        return self.served[0].variant if self.served else ""

    @property
    def is_on(self) -> bool:
        variant = self.served_variant or self.simulated_variant
        return variant.lower() not in OFF_VARIANTS

    @property
    def differs(self) -> bool:
        return bool(self.served) and self.served_variant != self.simulated_variant


@dataclass(frozen=True)
class EmailFacts:
    sent_30d: int
    opened_30d: int
    bounced: bool  # their last email bounced or was marked as spam
    last_subject: str
    last_status: str  # messaging.EmailMessage.Status, "" when none
    last_at: datetime | None
    active_sequences: tuple[str, ...]


@dataclass(frozen=True)
class DeviceFacts:
    """A device (kind) the person used lately, from their API calls and product events."""

    platform: str  # ios, android, web, other (or what their events name)
    device: str  # iPhone, Android, Mac, Windows PC... ("" when unknown)
    os_name: str
    os_version: str
    app_version: str  # the host app's newest version seen on it
    browser: str  # "Chrome 130" for the web
    last_seen_at: datetime
    api_calls_30d: int
    from_events: bool  # their events name this platform


class PersonSnapshot:
    """Everything known about a person at one moment. Each part is read from the app that owns
    it on first use and then kept, so a reader pays only for the parts it looks at (the
    intelligence endpoint reads no devices; the page reads them all)."""

    def __init__(self, *, person: Person, at: datetime) -> None:
        self.at = at
        self._person = person

    @cached_property
    def person(self) -> PersonFacts:
        return person_facts(person=self._person, now=self.at)

    @cached_property
    def activity(self) -> ActivityFacts:
        return ACTIVITY.read(self._person, self.at)

    @cached_property
    def health(self) -> HealthFacts:
        return HEALTH.read(self._person, self.at)

    @cached_property
    def billing(self) -> BillingFacts:
        return BILLING.read(self._person, self.at)

    @cached_property
    def support(self) -> SupportFacts:
        return SUPPORT.read(self._person, self.at)

    @cached_property
    def errors(self) -> ErrorFacts:
        return ERRORS.read(self._person, self.at)

    @cached_property
    def flags(self) -> tuple[FlagFacts, ...]:
        return FLAGS.read(self._person, self.at)

    @cached_property
    def email(self) -> EmailFacts:
        return EMAIL.read(self._person, self.at)

    @cached_property
    def devices(self) -> tuple[DeviceFacts, ...]:
        return DEVICES.read(self._person, self.at)

    @property
    def flags_on(self) -> tuple[FlagFacts, ...]:
        """Flags served on to them; when nothing was ever served, what the rules give."""
        served = [flag for flag in self.flags if flag.served]
        if served:
            return tuple(flag for flag in served if flag.is_on)
        return tuple(flag for flag in self.flags if flag.is_on)


class SnapshotPart(Generic[T]):
    """One part of the snapshot and the function of the owning app that provides it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._provider: Callable[[Person, datetime], T] | None = None

    def provide(self, provider: Callable[[Person, datetime], T]) -> Callable[[Person, datetime], T]:
        """Register the provider (a decorator)."""
        self._provider = provider
        return provider

    def read(self, person: Person, now: datetime) -> T:
        if self._provider is None:
            raise ImproperlyConfigured(f"No installed app provides the snapshot's {self.name}.")
        return self._provider(person, now)


ACTIVITY: SnapshotPart[ActivityFacts] = SnapshotPart("activity")
HEALTH: SnapshotPart[HealthFacts] = SnapshotPart("health")
BILLING: SnapshotPart[BillingFacts] = SnapshotPart("billing")
SUPPORT: SnapshotPart[SupportFacts] = SnapshotPart("support")
ERRORS: SnapshotPart[ErrorFacts] = SnapshotPart("errors")
FLAGS: SnapshotPart[tuple[FlagFacts, ...]] = SnapshotPart("flags")
EMAIL: SnapshotPart[EmailFacts] = SnapshotPart("email")
DEVICES: SnapshotPart[tuple[DeviceFacts, ...]] = SnapshotPart("devices")


def person_facts(*, person: Person, now: datetime) -> PersonFacts:
    """Who the person is."""
    signed_up = person.signed_up_at or person.created_at
    return PersonFacts(
        id=person.pk,
        external_id=person.external_id,
        email=person.email,
        name=person.name,
        status=person.status,
        is_vip=person.is_vip,
        is_placeholder=person.is_placeholder,
        acquisition_channel=person.acquisition_channel,
        signed_up_at=person.signed_up_at,
        last_seen_at=person.last_seen_at,
        account_age_days=(now - signed_up).days if signed_up else None,
        attributes=dict(person.attributes),
        tags=tuple(sorted(tag.name for tag in person.tags.all())),
    )


def person_snapshot_get(*, person: Person, now: datetime | None = None) -> PersonSnapshot:
    """Everything known about a person now, each part from the app that owns it (read on use)."""
    return PersonSnapshot(person=person, at=now or clock.now())
