"""Everything the User 360 page and the intelligence endpoint show about one person.

Composed from the owning apps' `*_for_person` selectors and the people app's derived tables
(daily activity, stored health); every read is an indexed lookup by person.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from opsroom.core import clock
from opsroom.core.money import money_format
from opsroom.experiments.evaluation import flag_evaluate
from opsroom.experiments.selectors import exposures_for_person, flag_list
from opsroom.people.models import Person
from opsroom.people.selectors.activity import PersonActivity, activity_for_person
from opsroom.revenue.selectors import (
    billing_customer_for_person,
    lifetime_value_for_person,
    subscription_current_for_person,
)
from opsroom.support.selectors import TicketSummary, ticket_summary_for_person
from opsroom.telemetry.selectors import error_count_for_person
from opsroom.user360.health import COMPONENT_LABELS, HealthSettings, history_points
from opsroom.user360.models import HealthBand, PersonHealth
from opsroom.user360.services.health import health_for_person_now, health_settings_get

if TYPE_CHECKING:
    from opsroom.revenue.models import BillingCustomer, Subscription

# Variants that mean "not switched on" for the flags card.
OFF_VARIANTS = ("off", "control", "false", "disabled")
USAGE_COUNTERS_DEFAULT = 4


@dataclass(frozen=True)
class HealthView:
    score: int
    band: str
    band_label: str
    components: list[dict[str, Any]]
    computed_at: datetime | None  # None: computed now, the daily task has not scored them yet
    history: list[tuple[date, int]]
    change_7d: int | None


@dataclass(frozen=True)
class FlagView:
    key: str
    name: str
    experiment: str
    served: list[dict[str, Any]]  # [{"variant", "first", "last"}], newest last exposure first
    simulated_variant: str
    simulated_reason: str

    @property
    def served_variant(self) -> str:
        return str(self.served[0]["variant"]) if self.served else ""

    @property
    def is_on(self) -> bool:
        variant = self.served_variant or self.simulated_variant
        return variant.lower() not in OFF_VARIANTS

    @property
    def differs(self) -> bool:
        return bool(self.served) and self.served_variant != self.simulated_variant


@dataclass(frozen=True)
class SubscriptionView:
    subscription: "Subscription | None"
    status: str
    plan: str
    tier: str
    mrr: str
    mrr_minor: int
    currency: str
    next_charge_at: datetime | None
    next_charge_amount: str
    ends_at: datetime | None
    card: str
    stripe_url: str


@dataclass(frozen=True)
class PersonContext:
    person: Person
    now: datetime
    account_age_days: int | None
    lifetime_value: str
    lifetime_value_minor: dict[str, int]
    subscription: SubscriptionView
    health: HealthView
    support: TicketSummary
    usage: list[tuple[str, str, int]]  # (event, label, count in 30 days)
    last_login: date | None
    last_active: date | None
    errors_7d: int
    flags: list[FlagView]
    attributes: list[tuple[str, list[str], bool]]  # (label, lines, is a list like kids)
    tags: list[str]
    activity: PersonActivity = field(repr=False)
    settings: HealthSettings = field(repr=False)

    @property
    def flags_on(self) -> list[FlagView]:
        """Flags served on to them; when nothing was ever served, what the rules give."""
        served = [flag for flag in self.flags if flag.served]
        if served:
            return [flag for flag in served if flag.is_on]
        return [flag for flag in self.flags if flag.is_on]


def _label(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip().capitalize()


def health_view(*, person: Person, settings_: HealthSettings) -> HealthView:
    """The stored health of a person, or one computed now when none is stored yet."""
    stored = PersonHealth.objects.filter(person_id=person.pk).first()
    if stored is None:
        result = health_for_person_now(person_id=person.pk)
        return HealthView(
            score=result.score,
            band=result.band,
            band_label=HealthBand(result.band).label,
            components=[component.as_dict() for component in result.components],
            computed_at=None,
            history=[],
            change_7d=None,
        )
    points = history_points(stored.history)
    earlier = [score for day, score in points if day <= stored.computed_on - timedelta(days=7)]
    return HealthView(
        score=stored.score,
        band=stored.band,
        band_label=HealthBand(stored.band).label,
        components=[
            {**component, "label": COMPONENT_LABELS.get(component["key"], component["key"])}
            for component in stored.components
        ],
        computed_at=stored.computed_at,
        history=points,
        change_7d=stored.score - earlier[-1] if earlier else None,
    )


def _stripe_url(billing: "BillingCustomer | None") -> str:
    if billing is None or billing.provider != "stripe":
        return ""
    mode = "" if billing.livemode else "test/"
    return f"https://dashboard.stripe.com/{mode}customers/{billing.provider_customer_id}"


def subscription_view(*, person: Person) -> SubscriptionView:
    """The person's subscription as the page shows it."""
    subscription = subscription_current_for_person(person_id=person.pk)
    billing = billing_customer_for_person(person_id=person.pk)
    card = ""
    if billing is not None and billing.card_last4:
        card = f"{billing.card_brand.title()} •••• {billing.card_last4}".strip()
    if subscription is None:
        currency = settings.OPSROOM_CURRENCY
        return SubscriptionView(
            subscription=None,
            status="none",
            plan="No subscription",
            tier="",
            mrr=money_format(0, currency),
            mrr_minor=0,
            currency=currency,
            next_charge_at=None,
            next_charge_amount="",
            ends_at=None,
            card=card,
            stripe_url=_stripe_url(billing),
        )
    plan = subscription.plan
    charges = subscription.is_live and not subscription.cancel_at_period_end
    charges = charges and subscription.status not in ("paused",)
    next_at = subscription.current_period_end if charges else None
    if subscription.status == "trialing":
        next_at = subscription.trial_end or next_at
    ends_at = None
    if subscription.cancel_at_period_end and subscription.is_live:
        ends_at = subscription.current_period_end
    elif not subscription.is_live:
        ends_at = subscription.ended_at or subscription.canceled_at
    amount = subscription.amount * subscription.quantity
    return SubscriptionView(
        subscription=subscription,
        status=subscription.get_status_display(),
        plan=plan.name if plan else "Custom price",
        tier=(plan.tier if plan else "") or "",
        mrr=money_format(subscription.mrr_amount, subscription.currency),
        mrr_minor=subscription.mrr_amount,
        currency=subscription.currency,
        next_charge_at=next_at,
        next_charge_amount=money_format(amount, subscription.currency) if next_at else "",
        ends_at=ends_at,
        card=card,
        stripe_url=_stripe_url(billing),
    )


def usage_for_person(
    *, activity: PersonActivity, settings_: HealthSettings
) -> list[tuple[str, str, int]]:
    """30-day counters: the configured events, or the person's most frequent ones."""
    counts = activity.counts_since(activity.today - timedelta(days=30))
    if settings_.usage_counters:
        return [
            (row["event"], row.get("label") or _label(row["event"]), counts.get(row["event"], 0))
            for row in settings_.usage_counters
        ]
    logins = settings_.login_events
    top = sorted(((n, name) for name, n in counts.items() if name not in logins), reverse=True)
    rows = [(name, _label(name), n) for n, name in top[:USAGE_COUNTERS_DEFAULT]]
    rows.insert(0, (logins[0], "Logins", sum(counts.get(name, 0) for name in logins)))
    return rows


def flags_for_person(*, person: Person) -> list[FlagView]:
    """Each flag: the variants actually served to the person, and what the rules give now."""
    served: dict[int, list[dict[str, Any]]] = {}
    for exposure in exposures_for_person(person_id=person.pk):
        served.setdefault(exposure.flag_id, []).append(
            {
                "variant": exposure.variant,
                "first": exposure.first_exposed_at,
                "last": exposure.last_exposed_at,
            }
        )
    attributes = {
        **person.attributes,
        "external_id": person.external_id,
        "email": person.email,
        "is_vip": person.is_vip,
        "status": person.status,
        "acquisition_channel": person.acquisition_channel,
    }
    views = []
    for flag in flag_list():
        try:
            evaluation = flag_evaluate(flag, person_key=person.external_id, attributes=attributes)
            variant, reason = evaluation.variant, evaluation.reason
        except ValueError as exc:
            variant, reason = "", f"cannot simulate: {exc}"
        experiment = getattr(flag, "experiment", None)
        views.append(
            FlagView(
                key=flag.key,
                name=flag.name or flag.key,
                experiment=experiment.name if experiment is not None else "",
                served=sorted(served.get(flag.pk, []), key=lambda s: s["last"], reverse=True),
                simulated_variant=variant,
                simulated_reason=reason,
            )
        )
    views.sort(key=lambda view: (not view.served, view.key))
    return views


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value_text(item) for item in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{_label(k).lower()}: {_value_text(v)}" for k, v in value.items())
    return str(value)


def _item_text(item: dict[str, Any]) -> str:
    """A profile entry such as a kid: 'Emma (5yo, picky, allergies: sesame)'."""
    name = str(item.get("name") or item.get("title") or "")
    details = []
    for key, value in item.items():
        if key in ("name", "title") or value in (None, False, "", []):
            continue
        if key == "age":
            details.append(f"{value}yo")
        elif value is True:
            details.append(_label(key).lower())
        else:
            details.append(f"{_label(key).lower()}: {_value_text(value)}")
    if name and details:
        return f"{name} ({', '.join(details)})"
    return name or ", ".join(details)


def _attribute_lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_item_text(item) if isinstance(item, dict) else _value_text(item) for item in value]
    return [_value_text(value)]


def person_context(*, person: Person) -> PersonContext:
    """The assembled context of one person (header, health, cards)."""
    now = clock.now()
    settings_ = health_settings_get()
    activity = activity_for_person(
        person_id=person.pk, today=now.date(), login_events=settings_.login_events
    )
    ltv = lifetime_value_for_person(person_id=person.pk)
    signed_up = person.signed_up_at or person.created_at
    return PersonContext(
        person=person,
        now=now,
        account_age_days=(now - signed_up).days if signed_up else None,
        lifetime_value=" + ".join(money_format(v, c) for c, v in sorted(ltv.items()))
        or money_format(0, settings.OPSROOM_CURRENCY),
        lifetime_value_minor=ltv,
        subscription=subscription_view(person=person),
        health=health_view(person=person, settings_=settings_),
        support=ticket_summary_for_person(person_id=person.pk),
        usage=usage_for_person(activity=activity, settings_=settings_),
        last_login=activity.last_login,
        last_active=activity.last_active,
        errors_7d=error_count_for_person(person_id=person.pk, since=now - timedelta(days=7)),
        flags=flags_for_person(person=person),
        attributes=[
            (_label(key), _attribute_lines(value), isinstance(value, list))
            for key, value in sorted(person.attributes.items())
        ],
        tags=sorted(tag.name for tag in person.tags.all()),
        activity=activity,
        settings=settings_,
    )
