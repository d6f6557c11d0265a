"""MRR summaries for the home page and the digest: MRR by month, at risk, failing payments."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from opsroom.core import clock
from opsroom.core.months import months_between
from opsroom.revenue.models import (
    PaymentAttempt,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.mrr import mrr_counts_status
from opsroom.revenue.selectors.person import (
    DELINQUENT_STATUSES,
    LIVE_STATUSES,
    person_ids_payment_failed,
)


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
