"""Revenue's point-in-time signals (opsroom.people.signals): MRR and tenure from the ledger;
plan, status, scheduled cancellations and renewal from the change log; payment failures; the
card on file."""

import calendar
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Q, Sum

from opsroom.people.signals import Signal, Signals, SignalSource
from opsroom.revenue.models import (
    BillingCustomer,
    MrrMovement,
    PaymentAttempt,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.periods import period_end

HORIZON_DAYS = 400  # "days until" signals further away than this count as this
_LIVE = {"trialing", "active", "past_due", "unpaid", "paused"}

SIGNALS = (
    Signal("mrr", "The customer's MRR (minor units of the headline currency)"),
    Signal("paid_days", "Days since the customer first paid"),
    Signal("has_reactivated", "1 when the customer came back after churning once"),
    Signal("is_annual", "1 when a live subscription is billed yearly"),
    Signal("subscriptions_live", "Live subscriptions"),
    Signal("is_past_due", "1 when a subscription is past due or unpaid"),
    Signal("cancel_scheduled", "1 when a subscription is set to cancel at its period's end"),
    Signal("cancel_requests_90d", "Cancellations scheduled in the last 90 days"),
    Signal("downgrades_90d", "Downgrades (contraction) in the last 90 days"),
    Signal("payment_failures_30d", "Failed payment attempts in the last 30 days"),
    Signal("payment_failures_90d", "Failed payment attempts in the last 90 days"),
    Signal("days_to_renewal", "Days until the next renewal", HORIZON_DAYS),
    Signal("card_expires_days", "Days until the card on file expires", HORIZON_DAYS),
    Signal("has_discount", "1 when a discount runs on a live subscription"),
)


def _renewal(started: datetime, interval: str, count: int, as_of: datetime) -> int:
    at = started
    for _ in range(2000):
        if at > as_of:
            return min((at - as_of).days, HORIZON_DAYS)
        at = period_end(start=at, interval=interval, interval_count=max(count, 1))
    return HORIZON_DAYS


def _card_days(year: int | None, month: int | None, today: date) -> int:
    if not year or not month or not 1 <= month <= 12 or not 1 <= year <= 9999:
        return HORIZON_DAYS
    expires = date(year, month, calendar.monthrange(year, month)[1])
    return max(min((expires - today).days, HORIZON_DAYS), 0)


def revenue_signals(person_ids: Sequence[int], as_of: datetime) -> Signals:
    """Revenue facts of people as they stood at a moment (a few grouped queries)."""
    today = as_of.date()
    result: Signals = {}

    def put(person_id: int, **values: float) -> None:
        result.setdefault(person_id, {}).update(values)

    ledger = (
        MrrMovement.objects.filter(person_id__in=person_ids, day__lt=today)
        .values("person_id")
        .annotate(
            mrr=Sum("amount"),
            first=Min("day", filter=Q(kind=MrrMovement.Kind.NEW)),
            back=Count("id", filter=Q(kind=MrrMovement.Kind.REACTIVATION)),
            down=Count(
                "id",
                filter=Q(kind=MrrMovement.Kind.CONTRACTION, day__gte=today - timedelta(days=90)),
            ),
        )
    )
    for row in ledger:
        put(
            row["person_id"],
            mrr=max(row["mrr"] or 0, 0),
            paid_days=(today - row["first"]).days if row["first"] else 0,
            has_reactivated=1.0 if row["back"] else 0.0,
            downgrades_90d=row["down"],
        )
    failures = (
        PaymentAttempt.objects.filter(
            person_id__in=person_ids,
            status=PaymentAttempt.Status.FAILED,
            attempted_at__gte=as_of - timedelta(days=90),
            attempted_at__lt=as_of,
        )
        .values("person_id")
        .annotate(
            f30=Count("id", filter=Q(attempted_at__gte=as_of - timedelta(days=30))),
            f90=Count("id"),
        )
    )
    for row in failures:
        put(row["person_id"], payment_failures_30d=row["f30"], payment_failures_90d=row["f90"])
    _subscription_signals(person_ids, as_of, put)
    for person_id, year, month in BillingCustomer.objects.filter(
        person_id__in=person_ids
    ).values_list("person_id", "card_exp_year", "card_exp_month"):
        put(person_id, card_expires_days=_card_days(year, month, today))
    return result


def _subscription_signals(
    person_ids: Sequence[int], as_of: datetime, put: Callable[..., None]
) -> None:
    """Each subscription's state at the moment: the last change-log entry before it."""
    states: dict[int, tuple[str, int]] = {}
    for sub_id, status, person_id in (
        SubscriptionChange.objects.filter(person_id__in=person_ids, occurred_at__lt=as_of)
        .order_by("occurred_at", "id")
        .values_list("subscription_id", "to_status", "person_id")
    ):
        states[sub_id] = (status, person_id)
    cancels: dict[int, bool] = {}
    requests: dict[int, int] = {}
    for sub_id, kind, at, person_id in (
        SubscriptionChange.objects.filter(
            person_id__in=person_ids,
            occurred_at__lt=as_of,
            kind__in=[
                SubscriptionChange.Kind.CANCEL_SCHEDULED,
                SubscriptionChange.Kind.CANCEL_REVOKED,
            ],
        )
        .order_by("occurred_at", "id")
        .values_list("subscription_id", "kind", "occurred_at", "person_id")
    ):
        cancels[sub_id] = kind == SubscriptionChange.Kind.CANCEL_SCHEDULED
        if kind == SubscriptionChange.Kind.CANCEL_SCHEDULED and at >= as_of - timedelta(days=90):
            requests[person_id] = requests.get(person_id, 0) + 1
    terms = {
        sub_id: (started, interval, count, percent, off, ends)
        for sub_id, started, interval, count, percent, off, ends in Subscription.objects.filter(
            pk__in=list(states)
        ).values_list(
            "id",
            "started_at",
            "interval",
            "interval_count",
            "discount_percent",
            "discount_amount",
            "discount_ends_at",
        )
    }
    people: dict[int, dict[str, float]] = {}
    for sub_id, (status, person_id) in states.items():
        row = people.setdefault(
            person_id,
            {
                "subscriptions_live": 0,
                "is_annual": 0,
                "is_past_due": 0,
                "cancel_scheduled": 0,
                "days_to_renewal": HORIZON_DAYS,
                "has_discount": 0,
                "cancel_requests_90d": requests.get(person_id, 0),
            },
        )
        if status not in _LIVE:
            continue
        started, interval, count, percent, off, ends = terms[sub_id]
        row["subscriptions_live"] += 1
        row["is_annual"] = max(row["is_annual"], 1.0 if interval == "year" else 0.0)
        row["is_past_due"] = max(row["is_past_due"], 1.0 if status in ("past_due", "unpaid") else 0)
        row["cancel_scheduled"] = max(row["cancel_scheduled"], 1.0 if cancels.get(sub_id) else 0)
        if (percent or off) and (ends is None or ends > as_of):
            row["has_discount"] = 1.0
        if started is not None and started <= as_of:
            row["days_to_renewal"] = min(
                row["days_to_renewal"], _renewal(started, interval, count, as_of)
            )
    for person_id, values in people.items():
        put(person_id, **values)


REVENUE_SIGNALS = SignalSource(app="revenue", signals=SIGNALS, provider=revenue_signals)
