"""Reads of subscriptions and revenue."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.lookups import comparison_lookup
from opsroom.core.months import months_between
from opsroom.revenue.billing import (
    charge_dates,
    first_charge_from,
    months_per_charge,
    months_per_charge_of,
)
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    MarketingSpend,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.mrr import mrr_counts_status
from opsroom.revenue.periods import period_end

COMP_MAX_MONTHS = 24


@dataclass(frozen=True)
class MrrSummary:
    currency: str
    mrr: int  # minor units
    paying_subscriptions: int
    active_subscriptions: int  # active, past due or trialing: everyone with access
    trialing_subscriptions: int


def mrr_summary(*, currency: str) -> MrrSummary:
    """MRR now and the subscription counts behind it, in one currency."""
    rows = (
        Subscription.objects.filter(currency=currency, ended_at__isnull=True)
        .values("status")
        .annotate(n=Count("id"), mrr=Sum("mrr_amount"))
    )
    by_status = {row["status"]: row for row in rows}
    mrr = sum(row["mrr"] or 0 for row in rows)
    paying = sum(
        row["n"] for status, row in by_status.items() if mrr_counts_status(status) and row["mrr"]
    )
    counted = ("active", "past_due", "trialing")
    return MrrSummary(
        currency=currency,
        mrr=mrr,
        paying_subscriptions=paying,
        active_subscriptions=sum(by_status[s]["n"] for s in counted if s in by_status),
        trialing_subscriptions=by_status.get("trialing", {}).get("n", 0),
    )


def mrr_by_month(*, currency: str, since: datetime) -> dict[str, int]:
    """MRR at the end of each month since a time ('YYYY-MM' -> minor units).

    Summed from the change log: each entry moves MRR by (after - before).
    """
    changes = SubscriptionChange.objects.filter(currency=currency)
    opening = (
        changes.filter(occurred_at__lt=since).aggregate(total=Sum("mrr_after") - Sum("mrr_before"))[
            "total"
        ]
        or 0
    )
    rows = (
        changes.filter(occurred_at__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(delta=Sum("mrr_after") - Sum("mrr_before"))
        .order_by("month")
    )
    deltas = {row["month"].strftime("%Y-%m"): row["delta"] or 0 for row in rows}
    running = opening
    series: dict[str, int] = {}
    for month in months_between(since, clock.now()):
        running += deltas.get(month, 0)
        series[month] = running
    return series


def mrr_total_as_of(*, currency: str, at: datetime) -> int:
    """MRR at a time, summed from the change log (as mrr_by_month)."""
    total = SubscriptionChange.objects.filter(currency=currency, occurred_at__lt=at).aggregate(
        total=Sum("mrr_after") - Sum("mrr_before")
    )["total"]
    return int(total or 0)


def cancellations_count(*, since: datetime, until: datetime) -> int:
    """Subscriptions that ended (were canceled) in a time range."""
    return SubscriptionChange.objects.filter(
        kind=SubscriptionChange.Kind.CANCELED, occurred_at__gte=since, occurred_at__lt=until
    ).count()


@dataclass(frozen=True)
class MrrAtRisk:
    currency: str
    delinquent_mrr: int  # past due or unpaid: the card failed
    delinquent: int
    canceling_mrr: int  # set to cancel at the end of the period
    canceling: int

    @property
    def total(self) -> int:
        return self.delinquent_mrr + self.canceling_mrr


def mrr_at_risk(*, currency: str) -> MrrAtRisk:
    """MRR that may be lost: subscriptions past due or unpaid, and those set to cancel."""
    live = Subscription.objects.filter(currency=currency, status__in=LIVE_STATUSES)
    delinquent = live.filter(status__in=DELINQUENT_STATUSES).aggregate(
        n=Count("id"), mrr=Sum("mrr_amount")
    )
    canceling = (
        live.exclude(status__in=DELINQUENT_STATUSES)
        .filter(cancel_at_period_end=True)
        .aggregate(n=Count("id"), mrr=Sum("mrr_amount"))
    )
    return MrrAtRisk(
        currency=currency,
        delinquent_mrr=delinquent["mrr"] or 0,
        delinquent=delinquent["n"],
        canceling_mrr=canceling["mrr"] or 0,
        canceling=canceling["n"],
    )


def payments_failing(*, since: datetime, limit: int = 10) -> tuple[int, list[PaymentAttempt]]:
    """People whose last payment since a time failed with none paid after: how many, and the
    latest failed attempt of the most recent ones (with the person)."""
    ids = person_ids_payment_failed(since=since)
    count = ids.count()
    attempts = (
        PaymentAttempt.objects.filter(
            person_id__in=ids,
            status=PaymentAttempt.Status.FAILED,
            attempted_at__gte=since,
        )
        .select_related("person")
        .order_by("-attempted_at", "-id")
    )
    latest: dict[int, PaymentAttempt] = {}
    for attempt in attempts.iterator(chunk_size=200):
        latest.setdefault(attempt.person_id, attempt)
        if len(latest) >= limit:
            break
    return count, list(latest.values())


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


def plan_list(*, active_only: bool = True) -> list[Plan]:
    """Plans by price, for menus (e.g. which plan to grant free)."""
    plans = Plan.objects.all()
    if active_only:
        plans = plans.filter(is_active=True)
    return list(plans.order_by("amount", "code"))


def plan_get(*, plan_id: int) -> Plan | None:
    """One plan by id."""
    return Plan.objects.filter(pk=plan_id).first()


@dataclass(frozen=True)
class PlanTerms:
    id: int
    amount: int
    currency: str
    interval: str
    interval_count: int


def plan_terms_by_price(*, price_ids: Sequence[str]) -> dict[str, PlanTerms]:
    """Map provider price ids to their plan's id and price terms."""
    rows = Plan.objects.filter(provider_price_id__in=set(price_ids)).values_list(
        "provider_price_id", "id", "amount", "currency", "interval", "interval_count"
    )
    return {
        price_id: PlanTerms(plan_id, amount, currency, interval, interval_count)
        for price_id, plan_id, amount, currency, interval, interval_count in rows
    }


def billing_customer_person_ids(*, provider_customer_ids: Sequence[str]) -> dict[str, int]:
    """Map provider customer ids to the id of the person each belongs to."""
    return dict(
        BillingCustomer.objects.filter(
            provider_customer_id__in=set(provider_customer_ids)
        ).values_list("provider_customer_id", "person_id")
    )


def billing_customer_of_person(*, person_id: int) -> str | None:
    """The provider customer id a person is billed under, if any."""
    return (
        BillingCustomer.objects.filter(person_id=person_id)
        .values_list("provider_customer_id", flat=True)
        .first()
    )


def marketing_spend_list(*, start: date, end: date) -> list[MarketingSpend]:
    """Spend per channel, campaign and month for the months from `start` to `end` (inclusive)."""
    return list(
        MarketingSpend.objects.filter(month__gte=start.replace(day=1), month__lte=end).order_by(
            "month", "channel", "campaign", "currency"
        )
    )


@dataclass(frozen=True)
class CompPreview:
    """What a complimentary grant of some months would do, before it is confirmed.

    A comp makes the person's current subscription free for the months (whatever plan it is
    on); only a person without one is given a new subscription to the chosen plan.
    """

    subscription_id: int | None  # the live subscription made free; None: a new one is made
    plan_id: int | None
    plan_name: str
    months: int
    until: datetime  # the discount runs until then
    currency: str
    charge_amount: int  # what each charge comes to without the comp
    charges_skipped: list[datetime]
    next_paid_at: datetime | None  # None: nothing is charged after it (it ends)
    creates_subscription: bool


def complimentary_preview(
    *, person_id: int, plan_id: int | None, months: int, now: datetime, with_stripe: bool
) -> CompPreview:
    """Check a complimentary grant and say what it would do; InvalidInput when it cannot be."""
    if not 1 <= months <= COMP_MAX_MONTHS:
        raise InvalidInput(f"A complimentary subscription lasts 1 to {COMP_MAX_MONTHS} months.")
    until = period_end(start=now, interval="month", interval_count=months)
    live = (
        Subscription.objects.filter(person_id=person_id, status__in=LIVE_STATUSES)
        .select_related("plan")
        .order_by("-created_at", "-id")
        .first()
    )
    if live is not None:
        current = live.plan.name if live.plan else "a custom price"
        if plan_id is not None and plan_id != live.plan_id:
            chosen = plan_get(plan_id=plan_id)
            raise InvalidInput(
                f"They are on {current}: a comp makes their current subscription free. To give "
                f"them {chosen.name if chosen else 'another plan'}, change their plan first."
            )
        span = months_per_charge(live)
        if span > 1 and months % span:
            raise InvalidInput(
                f"Their subscription is billed every {span} months, so a comp covers whole "
                f"billing periods: give {span}, {2 * span}… months."
            )
        next_paid = None if live.cancel_at_period_end else first_charge_from(live, start=until)
        return CompPreview(
            subscription_id=live.pk,
            plan_id=live.plan_id,
            plan_name=current,
            months=months,
            until=until,
            currency=live.currency,
            charge_amount=live.amount * live.quantity,
            charges_skipped=charge_dates(live, until=until),
            next_paid_at=next_paid,
            creates_subscription=False,
        )
    plan = plan_get(plan_id=plan_id) if plan_id is not None else None
    if plan is None:
        raise InvalidInput("They have no subscription: choose the plan to give them free.")
    if months_per_charge_of(plan.interval, plan.interval_count) > months:
        raise InvalidInput(f"{plan.name} is billed for longer than {months} month(s).")
    skipped, at = [], now
    while at < until:
        skipped.append(at)
        at = period_end(start=at, interval=plan.interval, interval_count=plan.interval_count)
    return CompPreview(
        subscription_id=None,
        plan_id=plan.pk,
        plan_name=plan.name,
        months=months,
        until=until,
        currency=plan.currency,
        charge_amount=plan.amount,
        charges_skipped=skipped if with_stripe else [],
        # Without Stripe nothing bills afterwards: the subscription simply ends.
        next_paid_at=at if with_stripe else None,
        creates_subscription=True,
    )
