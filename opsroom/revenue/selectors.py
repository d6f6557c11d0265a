"""Reads of subscriptions and revenue."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from opsroom.core import clock
from opsroom.core.months import months_between
from opsroom.revenue.models import BillingCustomer, Plan, Subscription, SubscriptionChange
from opsroom.revenue.mrr import mrr_counts_status


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
