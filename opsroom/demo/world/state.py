"""The simulated state of one family: profile, latent engagement, billing, open threads."""

import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opsroom.demo.world.catalog import Coupon, PlanDef
from opsroom.demo.world.names import Country


@dataclass(slots=True)
class Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    auto_updates: bool  # the network's account updater renews it before it expires

    def is_expired(self, at: datetime) -> bool:
        return (self.exp_year, self.exp_month) < (at.year, at.month)


@dataclass(slots=True)
class InvoiceState:
    invoice_id: str
    number: str
    subtotal: int
    discount: int
    tax: int
    period_start: datetime
    period_end: datetime
    issued_at: datetime
    billing_reason: str
    status: str = "open"
    attempts: int = 0
    paid_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_decline: str = ""
    last_charge_id: str = ""
    amount_refunded: int = 0

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.tax


@dataclass(slots=True)
class SubState:
    sub_id: str
    plan: PlanDef
    status: str
    created_at: datetime
    started_at: datetime
    period_start: datetime
    period_end: datetime
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    cancellation_reason: str = ""
    coupon: Coupon | None = None
    discount_ends_at: datetime | None = None
    is_complimentary: bool = False
    invoice: InvoiceState | None = None  # the invoice being collected, if any
    dunning_since: datetime | None = None
    last_charge: dict[str, Any] | None = None  # the last successful payment attempt row
    last_paid_invoice: InvoiceState | None = None

    @property
    def is_live(self) -> bool:
        return self.status in ("trialing", "active", "past_due", "unpaid")

    @property
    def is_paying(self) -> bool:
        return self.status in ("active", "past_due") and not self.is_complimentary


@dataclass(slots=True)
class Enrollment:
    sequence: str
    enrolled_at: datetime
    steps_sent: int = 0
    next_step_at: datetime | None = None


@dataclass(slots=True)
class PersonSim:
    index: int
    external_id: str
    name: str
    email: str
    country: Country
    utc_offset: int
    platform: str
    channel: str
    kids: list[dict[str, Any]]
    diet: list[str]
    signup_at: datetime
    weekday_slot: int  # the weekday (0-6) of this person's weekly decisions
    hours: tuple[float, ...]  # preferred local session hours
    base: float  # latent engagement, log-odds of being active on a day
    trend: float  # weekly drift of the latent engagement
    app_lag: int  # how many app releases behind this person updates
    is_vip: bool = False
    is_beta: bool = False
    marketing_opt_in: bool = True
    email_bounces: bool = False
    walk: float = 0.0
    boost: float = 0.0  # passing effects: errors, payment failures, good support
    status: str = "active"
    gone: bool = False
    customer_id: str = ""
    customer_prefix: str = ""
    customer_since: datetime | None = None
    invoice_seq: int = 0
    card: Card | None = None
    card_risk: float = 0.03
    sub: SubState | None = None
    subs_started: int = 0
    had_trial: bool = False
    churned_at: datetime | None = None
    winback_clicked_at: datetime | None = None
    adopted_templates: bool = False
    frustration: float = 0.0  # recent errors, decays weekly
    pay_trouble: float = 0.0  # recent payment failures, decays weekly
    ticket_quiet_until: datetime | None = None
    event_seq: int = 0
    last_active: datetime | None = None
    exposed: dict[str, datetime] = field(default_factory=dict)  # flag -> last recorded exposure
    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    agenda: list[tuple[datetime, int, str, Any]] = field(default_factory=list)
    agenda_seq: int = 0

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def card_on_file(self) -> Card:
        """Their card; only people who reached checkout have one."""
        if self.card is None:
            raise RuntimeError(f"simulation: {self.external_id} has no card on file")
        return self.card

    @property
    def subscription(self) -> SubState:
        """Their subscription; only subscribers have one."""
        if self.sub is None:
            raise RuntimeError(f"simulation: {self.external_id} has no subscription")
        return self.sub

    @property
    def has_allergy(self) -> bool:
        return any(kid.get("allergies") for kid in self.kids)

    def engagement(self, at: datetime) -> float:
        """The latent engagement (log-odds of being active on a given day) at a moment."""
        days = (at - self.signup_at).total_seconds() / 86400
        novelty = 1.7 * math.exp(-days / 7) if days < 60 else 0.0
        value = self.base + self.walk + self.boost + novelty
        if self.sub is not None and self.sub.is_live:
            value += 0.35
        if self.adopted_templates:
            value += 0.3
        return value

    def schedule(self, at: datetime, kind: str, payload: Any = None) -> None:
        """Put something on this person's agenda (billing, emails, ticket follow-ups)."""
        self.agenda_seq += 1
        heapq.heappush(self.agenda, (at, self.agenda_seq, kind, payload))


def sigmoid(value: float) -> float:
    """The logistic function."""
    if value < -30:
        return 0.0
    return 1.0 / (1.0 + math.exp(-value))
