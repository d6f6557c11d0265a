"""Reads for one person (the People app's User 360), person-id sets for its filters, and
billing states as of a time."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Max, Q, QuerySet, Sum

from opsroom.core.lookups import comparison_lookup
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionChange,
)

# Reads for one person (the People app's User 360) and person-id sets for its filters.

SUBSCRIPTION_STATUSES: tuple[str, ...] = tuple(Subscription.Status.values)
SUBSCRIPTION_STATUS_LABELS: dict[str, str] = {
    str(value): str(label) for value, label in Subscription.Status.choices
}
LIVE_STATUSES = ("trialing", "active", "past_due", "unpaid", "paused")
DELINQUENT_STATUSES = ("past_due", "unpaid")


def subscription_by_provider_id(*, provider_subscription_id: str) -> Subscription | None:
    """A subscription by its provider's id (for example Stripe's `sub_...`), or None."""
    return Subscription.objects.filter(provider_subscription_id=provider_subscription_id).first()


def subscription_current_for_person(*, person_id: int) -> Subscription | None:
    """The person's live subscription (newest first), else their most recent one."""
    return subscriptions_current_for_people(person_ids=[person_id]).get(person_id)


def subscriptions_current_for_people(*, person_ids: Sequence[int]) -> dict[int, Subscription]:
    """Each person's current subscription (as subscription_current_for_person), in one query."""
    found: dict[int, Subscription] = {}
    rows = (
        Subscription.objects.filter(person_id__in=person_ids)
        .select_related("plan")
        .order_by("person_id", "-created_at", "-id")
    )
    for subscription in rows:
        held = found.get(subscription.person_id)
        if held is None or (not held.is_live and subscription.is_live):
            found[subscription.person_id] = subscription
    return found


def billing_customer_for_person(*, person_id: int) -> BillingCustomer | None:
    """The person's customer record at the payment provider, with their card."""
    return BillingCustomer.objects.filter(person_id=person_id).first()


def lifetime_value_for_person(*, person_id: int) -> dict[str, int]:
    """What the person has paid, net of refunds, per currency (paid invoices, else charges)."""
    paid_only = Q(status=Invoice.Status.PAID)
    invoices = list(
        Invoice.objects.filter(person_id=person_id)
        .values("currency")
        .annotate(
            total=Sum("amount_paid", filter=paid_only) - Sum("amount_refunded", filter=paid_only)
        )
    )
    if invoices:
        return {row["currency"]: row["total"] or 0 for row in invoices if row["total"]}
    charges = (
        PaymentAttempt.objects.filter(person_id=person_id, status=PaymentAttempt.Status.SUCCEEDED)
        .values("currency")
        .annotate(total=Sum("amount") - Sum("amount_refunded"))
    )
    return {row["currency"]: row["total"] or 0 for row in charges}


def payment_attempts_for_person(
    *,
    person_id: int,
    before: datetime | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> list[PaymentAttempt]:
    """The person's payment attempts, newest first."""
    attempts = PaymentAttempt.objects.filter(person_id=person_id)
    if before is not None:
        attempts = attempts.filter(attempted_at__lte=before)
    if since is not None:
        attempts = attempts.filter(attempted_at__gte=since)
    return list(attempts.order_by("-attempted_at", "-id")[:limit])


def subscription_changes_for_person(
    *, person_id: int, before: datetime | None = None, limit: int = 20
) -> list[SubscriptionChange]:
    """Changes to the person's subscriptions, newest first."""
    changes = SubscriptionChange.objects.filter(person_id=person_id).select_related(
        "from_plan", "to_plan"
    )
    if before is not None:
        changes = changes.filter(occurred_at__lte=before)
    return list(changes.order_by("-occurred_at", "-id")[:limit])


def plan_codes() -> list[str]:
    """Distinct plan codes, for filter menus."""
    return list(Plan.objects.order_by("code").values_list("code", flat=True).distinct())


def person_ids_live_subscription() -> QuerySet[Subscription, int]:
    """Ids of people with a subscription that still gives access."""
    return Subscription.objects.filter(status__in=LIVE_STATUSES).values_list("person_id", flat=True)


def person_ids_by_subscription(
    *, status: str | None = None, plan_code: str | None = None
) -> QuerySet[Subscription, int]:
    """Ids of people whose current subscription has a status and/or plan.

    A live status matches any subscription in it; an ended status (canceled...) matches only
    people with no live subscription left.
    """
    subscriptions = Subscription.objects.all()
    if plan_code is not None:
        subscriptions = subscriptions.filter(plan__code=plan_code)
        if status is None:
            subscriptions = subscriptions.filter(status__in=LIVE_STATUSES)
    if status is not None:
        subscriptions = subscriptions.filter(status=status)
        if status not in LIVE_STATUSES:
            subscriptions = subscriptions.exclude(person_id__in=person_ids_live_subscription())
    return subscriptions.values_list("person_id", flat=True)


def person_ids_by_mrr(*, op: str, amount: int, currency: str) -> QuerySet[Subscription, int]:
    """Ids of people whose MRR (live subscriptions, one currency) compares to an amount.

    People without any MRR are not listed; callers add them when the comparison holds for 0.
    """
    lookup = comparison_lookup(op)
    return (
        Subscription.objects.filter(status__in=LIVE_STATUSES, currency=currency)
        .values("person_id")
        .annotate(mrr=Sum("mrr_amount"))
        .filter(**{f"mrr__{lookup}": amount})
        .values_list("person_id", flat=True)
    )


def person_ids_payment_failed(*, since: datetime) -> QuerySet[PaymentAttempt, int]:
    """People whose payment since a time failed with no successful payment after it."""
    # Grouped rather than a correlated NOT EXISTS: one range scan of the window.
    return (
        PaymentAttempt.objects.filter(attempted_at__gte=since)
        .values("person_id")
        .annotate(
            last_failed=Max("attempted_at", filter=Q(status=PaymentAttempt.Status.FAILED)),
            last_paid=Max("attempted_at", filter=Q(status=PaymentAttempt.Status.SUCCEEDED)),
        )
        .filter(last_failed__isnull=False)
        .filter(Q(last_paid__isnull=True) | Q(last_failed__gt=F("last_paid")))
        .values_list("person_id", flat=True)
    )


def person_ids_delinquent() -> QuerySet[Subscription, int]:
    """People with a past-due or unpaid subscription now."""
    return Subscription.objects.filter(status__in=DELINQUENT_STATUSES).values_list(
        "person_id", flat=True
    )


def person_ids_churned(*, since: datetime) -> QuerySet[SubscriptionChange, int]:
    """People whose subscription was canceled since a time and who have no live one now."""
    return (
        SubscriptionChange.objects.filter(
            kind=SubscriptionChange.Kind.CANCELED, occurred_at__gte=since
        )
        .exclude(person_id__in=person_ids_live_subscription())
        .values_list("person_id", flat=True)
    )


@dataclass(frozen=True)
class PaymentHealth:
    failed: int  # failed attempts in the window
    succeeded: int
    last_status: str
    last_at: datetime | None
    last_decline: str
    is_delinquent: bool  # past due or unpaid now, or the last attempt failed
    is_paying: bool  # has a live paid subscription


@dataclass(frozen=True)
class BillingStateAt:
    """A person's subscriptions as the change log had them at a time."""

    mrr: int  # minor units, all their subscriptions (any currency: a test for > 0)
    is_delinquent: bool  # a subscription past due or unpaid
    is_paying: bool  # a live subscription to a paid plan (trials included)


def billing_states_as_of(
    *, at: datetime, person_ids: Sequence[int] | None = None
) -> dict[int, BillingStateAt]:
    """Each person's MRR and subscription statuses at a time, from the subscription change log
    (the last change of each subscription before that time); people without one are left out."""
    changes = SubscriptionChange.objects.filter(occurred_at__lt=at).exclude(
        subscription__ended_at__lt=at  # ended before then: nothing live to read
    )
    if person_ids is not None:
        changes = changes.filter(person_id__in=person_ids)
    rows = changes.order_by("subscription_id", "occurred_at", "id").values_list(
        "subscription_id", "person_id", "to_status", "mrr_after", "to_plan__amount"
    )
    latest: dict[int, tuple[int, str, int, int | None]] = {}
    for subscription_id, person_id, status, mrr, plan_amount in rows.iterator(chunk_size=5000):
        latest[subscription_id] = (person_id, status, mrr or 0, plan_amount)
    states: dict[int, list[Any]] = {}
    for owner, last_status, last_mrr, price in latest.values():
        state = states.setdefault(owner, [0, False, False])
        live = last_status in LIVE_STATUSES
        state[0] += last_mrr if live else 0
        state[1] = state[1] or last_status in DELINQUENT_STATUSES
        state[2] = state[2] or (live and (last_mrr > 0 or bool(price)))
    return {
        owner: BillingStateAt(mrr=total, is_delinquent=delinquent, is_paying=paying)
        for owner, (total, delinquent, paying) in states.items()
    }


def payment_health_by_person(
    *, since: datetime, person_ids: Sequence[int] | None = None, at: datetime | None = None
) -> dict[int, PaymentHealth]:
    """Payment health of each person (everyone, or the ones given) who pays or tried to pay
    since a time; with `at`, as it stood then (attempts before it, statuses from the change
    log), else now."""
    attempts = PaymentAttempt.objects.filter(attempted_at__gte=since)
    if at is None:
        subscriptions = Subscription.objects.all()
        if person_ids is not None:
            subscriptions = subscriptions.filter(person_id__in=person_ids)
        delinquent = set(
            subscriptions.filter(status__in=DELINQUENT_STATUSES).values_list("person_id", flat=True)
        )
        paying = set(
            subscriptions.filter(status__in=LIVE_STATUSES, amount__gt=0).values_list(
                "person_id", flat=True
            )
        )
    else:
        attempts = attempts.filter(attempted_at__lt=at)
        states = billing_states_as_of(at=at, person_ids=person_ids)
        delinquent = {person_id for person_id, s in states.items() if s.is_delinquent}
        paying = {person_id for person_id, s in states.items() if s.is_paying}
    if person_ids is not None:
        attempts = attempts.filter(person_id__in=person_ids)
    tallies: dict[int, list[Any]] = {}
    rows = attempts.order_by("person_id", "attempted_at", "id").values_list(
        "person_id", "status", "attempted_at", "decline_code", "failure_code"
    )
    # Everyone's attempts are streamed; a few people's are simply read.
    stream = rows.iterator(chunk_size=5000) if person_ids is None else rows
    for person_id, status, attempted, decline, failure in stream:
        tally = tallies.setdefault(person_id, [0, 0, "", None, ""])
        tally[0] += status == PaymentAttempt.Status.FAILED
        tally[1] += status == PaymentAttempt.Status.SUCCEEDED
        tally[2], tally[3], tally[4] = status, attempted, decline or failure
    health: dict[int, PaymentHealth] = {}
    for person_id in paying | delinquent | set(tallies):
        failed, succeeded, last_status, last_at, decline = tallies.get(
            person_id, [0, 0, "", None, ""]
        )
        health[person_id] = PaymentHealth(
            failed=failed,
            succeeded=succeeded,
            last_status=last_status,
            last_at=last_at,
            last_decline=decline,
            is_delinquent=person_id in delinquent or last_status == PaymentAttempt.Status.FAILED,
            is_paying=person_id in paying,
        )
    return health


@dataclass(frozen=True)
class StripeBillingRef:
    """Where a person's billing lives in Stripe: their customer and current subscription."""

    customer_id: str  # "" when they have no Stripe customer record
    subscription_id: str  # "" when their current subscription is not a Stripe one
    subscription_is_live: bool
    cancel_at_period_end: bool
    current_period_end: datetime | None


def stripe_billing_for_person(*, person_id: int) -> StripeBillingRef | None:
    """The person's Stripe customer and current Stripe subscription, or None when they have
    neither."""
    customer = BillingCustomer.objects.filter(person_id=person_id, provider="stripe").first()
    subscription = subscription_current_for_person(person_id=person_id)
    if subscription is not None and subscription.provider != "stripe":
        subscription = None
    if customer is None and subscription is None:
        return None
    return StripeBillingRef(
        customer_id=customer.provider_customer_id if customer is not None else "",
        subscription_id=subscription.provider_subscription_id if subscription else "",
        subscription_is_live=bool(subscription and subscription.is_live),
        cancel_at_period_end=bool(subscription and subscription.cancel_at_period_end),
        current_period_end=subscription.current_period_end if subscription else None,
    )
