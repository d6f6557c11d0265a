"""The overview cards, computed from the daily snapshots after each ledger update.

Every rate is over the 30 days ending on the day (the previous period: the 30 before), so
the cards read the same on any day of the month. docs/revenue.md defines each one.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum

from opsroom.core import clock
from opsroom.revenue.metrics.selectors import (
    MOVEMENTS,
    mrr_day_on,
    rates_load,
    revenue_settings_get,
)
from opsroom.revenue.models import MarketingSpend, MrrDay, MrrMovement, RevenueOverview

WINDOW = 30


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _percent(numerator: float, denominator: float) -> float | None:
    value = _ratio(numerator, denominator)
    return round(value * 100, 2) if value is not None else None


def _window(start: date, end: date) -> dict[str, int]:
    """Movement and customer sums over the days after `start` up to `end`."""
    sums = MrrDay.objects.filter(day__gt=start, day__lte=end).aggregate(
        **{name: Sum(name) for name in MOVEMENTS},
        new_customers=Sum("new_customers"),
        churned_customers=Sum("churned_customers"),
        reactivated_customers=Sum("reactivated_customers"),
    )
    return {name: int(value or 0) for name, value in sums.items()}


def _level(day: date) -> tuple[int, int, int]:
    row = mrr_day_on(day=day)
    return (row.mrr, row.customers, row.subscriptions) if row else (0, 0, 0)


def _nrr(start: date, end: date) -> tuple[int, int]:
    """MRR of the customers paying at `start`, then and at `end`."""
    totals = (
        MrrMovement.objects.filter(amount__isnull=False, day__lte=end)
        .values("person_id")
        .annotate(at_start=Sum("amount", filter=Q(day__lte=start)), at_end=Sum("amount"))
        .filter(at_start__gt=0)
        .aggregate(then=Sum("at_start"), now=Sum("at_end"))
    )
    return int(totals["then"] or 0), int(totals["now"] or 0)


def _complete_months(day: date, count: int) -> list[date]:
    months, month = [], day.replace(day=1)
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    return sorted(months)


def _spend(months: list[date]) -> tuple[int, int]:
    """Marketing spend over months in the headline currency, and what had no rate."""
    rates = rates_load()
    total = unconverted = 0
    for month, amount, currency in MarketingSpend.objects.filter(month__in=months).values_list(
        "month", "amount", "currency"
    ):
        month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        converted = rates.convert(amount, currency, month_end)
        if converted is None:
            unconverted += amount
        else:
            total += converted
    return total, unconverted


def overview_figures(*, day: date) -> dict[str, Any]:
    """Every overview figure on a day (numbers only; templates and schemas format them)."""
    config = revenue_settings_get()
    start, previous = day - timedelta(days=WINDOW), day - timedelta(days=2 * WINDOW)
    mrr, customers, subscriptions = _level(day)
    mrr_start, customers_start, subscriptions_start = _level(start)
    _, customers_previous, _ = _level(previous)
    mrr_year_ago, _, _ = _level(day - timedelta(days=365))
    window, window_before = _window(start, day), _window(previous, start)
    lost = -(window["churn"] + window["contraction"])
    gained = window["new"] + window["expansion"] + window["reactivation"]
    ltv_days = int(settings.OPSROOM_REVENUE_LTV_CHURN_DAYS)
    ltv_start = day - timedelta(days=ltv_days)
    ltv_churned = _window(ltv_start, day)["churned_customers"]
    ltv_churn = _ratio(ltv_churned * WINDOW / ltv_days, _level(ltv_start)[1])
    arpa = _ratio(mrr, customers)
    ltv = arpa / ltv_churn if arpa is not None and ltv_churn else None
    cac_months = _complete_months(day, int(settings.OPSROOM_REVENUE_CAC_MONTHS))
    spend, spend_unconverted = _spend(cac_months)
    acquired = int(
        MrrDay.objects.filter(day__gte=cac_months[0], day__lt=day.replace(day=1)).aggregate(
            n=Sum("new_customers")
        )["n"]
        or 0
    )
    cac = _ratio(spend, acquired) if spend else None
    nrr_then, nrr_now = _nrr(start, day)
    growth = _percent(mrr - mrr_start, mrr_start)
    unconverted = MrrDay.objects.filter(day__lte=day).aggregate(n=Sum("unconverted"))["n"] or 0
    return {
        "day": day.isoformat(),
        "currency": str(settings.OPSROOM_CURRENCY),
        "window_days": WINDOW,
        "window_start": start.isoformat(),
        "mrr": mrr,
        "mrr_start": mrr_start,
        "mrr_change": mrr - mrr_start,
        "growth_percent": growth,
        "growth_target_percent": float(config.growth_target_percent),
        "growth_on_target": growth is not None
        and Decimal(str(growth)) >= config.growth_target_percent,
        "arr": mrr * 12,
        "arr_year_ago": mrr_year_ago * 12,
        "arr_change": (mrr - mrr_year_ago) * 12,
        "subscriptions": subscriptions,
        "subscriptions_change": subscriptions - subscriptions_start,
        "customers": customers,
        "customers_start": customers_start,
        "customers_change": customers - customers_start,
        "new_customers": window["new_customers"],
        "reactivated_customers": window["reactivated_customers"],
        "churned_customers": window["churned_customers"],
        "customer_churn_percent": _percent(window["churned_customers"], customers_start),
        "customer_churn_previous_percent": _percent(
            window_before["churned_customers"], customers_previous
        ),
        "movements": {name: window[name] for name in MOVEMENTS},
        "gross_mrr_churn_percent": _percent(lost, mrr_start),
        "net_mrr_churn_percent": _percent(
            lost - window["expansion"] - window["reactivation"], mrr_start
        ),
        "arpa": round(arpa) if arpa is not None else None,
        "ltv_churn_days": ltv_days,
        "ltv_churn_percent": round(ltv_churn * 100, 2) if ltv_churn is not None else None,
        "ltv": round(ltv) if ltv is not None else None,
        "quick_ratio": round(gained / lost, 2) if lost else None,
        "nrr_percent": _percent(nrr_now, nrr_then),
        "cac_months": [f"{month:%Y-%m}" for month in cac_months],
        "marketing_spend": spend,
        "marketing_spend_unconverted": spend_unconverted,
        "cac_new_customers": acquired,
        "cac": round(cac) if cac is not None else None,
        "ltv_cac": round(ltv / cac, 2) if ltv is not None and cac else None,
        "ltv_cac_healthy": float(config.ltv_cac_healthy),
        "unconverted_movements": int(unconverted),
    }


@transaction.atomic
def overview_compute(*, day: date) -> RevenueOverview:
    """Compute and keep the overview of a day (replacing an earlier computation of it)."""
    overview, _ = RevenueOverview.objects.update_or_create(
        day=day,
        defaults={
            "currency": str(settings.OPSROOM_CURRENCY),
            "figures": overview_figures(day=day),
            "computed_at": clock.now(),
        },
    )
    return overview
