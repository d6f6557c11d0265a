"""The forecast's inputs from the ledger: each complete month as a flow, and what the levers
need (MRR churn by billing interval, annual against monthly prices)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from opsroom.revenue.cohorts.build import month_add
from opsroom.revenue.forecast.model import MonthFlow
from opsroom.revenue.models import MrrDay, MrrMovement, MrrSegmentMonth, Plan, SubscriptionChange

MAX_MONTHS = 36


def _month(value: date | datetime) -> date:
    day = value.date() if isinstance(value, datetime) else value
    return day.replace(day=1)


def month_flows(*, today: date) -> list[MonthFlow]:
    """Every complete month (up to three years back) as a flow, oldest first."""
    this_month = today.replace(day=1)
    first = month_add(this_month, -MAX_MONTHS)
    days = MrrDay.objects.filter(day__gte=first - timedelta(days=1), day__lt=this_month)
    by_month: dict[date, dict[str, int]] = {}
    ends: dict[date, tuple[int, int]] = {}
    for row in days.order_by("day").values(
        "day",
        "mrr",
        "customers",
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
        "new_customers",
        "churned_customers",
        "reactivated_customers",
    ):
        month = row["day"].replace(day=1)
        ends[month] = (row["mrr"], row["customers"])  # the last day read is the month's end
        if month < first:
            continue  # the day before the window: only its end (the opening) is needed
        sums = by_month.setdefault(month, defaultdict(int))
        for name in (
            "new",
            "expansion",
            "contraction",
            "churn",
            "reactivation",
            "new_customers",
            "churned_customers",
            "reactivated_customers",
        ):
            sums[name] += row[name]
    trials: dict[date, tuple[int, int]] = {}
    for counted in (
        SubscriptionChange.objects.filter(
            occurred_at__date__gte=first, occurred_at__date__lt=this_month
        )
        .filter(kind__in=["trial_started", "converted"])
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(
            started=Count("id", filter=Q(kind="trial_started")),
            converted=Count("id", filter=Q(kind="converted")),
        )
    ):
        trials[_month(counted["month"])] = (counted["started"], counted["converted"])
    flows = []
    for month in sorted(by_month):
        start_mrr, start_customers = ends.get(month_add(month, -1), (0, 0))
        sums = by_month[month]
        started, converted = trials.get(month, (0, 0))
        flows.append(
            MonthFlow(
                month=month,
                mrr_start=start_mrr,
                mrr_end=ends[month][0],
                customers_start=start_customers,
                customers_end=ends[month][1],
                new=sums["new"],
                expansion=sums["expansion"],
                contraction=sums["contraction"],
                churn=sums["churn"],
                reactivation=sums["reactivation"],
                new_customers=sums["new_customers"],
                churned_customers=sums["churned_customers"],
                reactivated_customers=sums["reactivated_customers"],
                trials=started,
                conversions=converted,
            )
        )
    return flows


def lever_inputs(*, today: date) -> dict[str, float]:
    """What the "upsell to annual" lever needs: the share of MRR billed monthly, the monthly
    MRR churn of monthly and of annual subscriptions (trailing 6 months), and what an annual
    plan's MRR is as a share of the monthly plan of the same tier."""
    this_month = today.replace(day=1)
    first = month_add(this_month, -6)
    segments = MrrSegmentMonth.objects.filter(
        dimension=MrrSegmentMonth.Dimension.INTERVAL, month__gte=month_add(first, -1)
    )
    level = {(row.month, row.key): row.mrr for row in segments}
    churned = (
        MrrMovement.objects.filter(day__gte=first, day__lt=this_month, kind=MrrMovement.Kind.CHURN)
        .values("interval")
        .annotate(lost=Sum("amount"))
    )
    lost = {row["interval"]: -(row["lost"] or 0) for row in churned}
    inputs: dict[str, float] = {}
    for interval in ("month", "year"):
        base = sum(level.get((month_add(first, i - 1), interval), 0) for i in range(6))
        inputs[f"churn_{interval}"] = lost.get(interval, 0) / base if base else 0.0
    now_month = month_add(this_month, -1)
    monthly = level.get((now_month, "month"), 0)
    yearly = level.get((now_month, "year"), 0)
    inputs["monthly_share"] = monthly / (monthly + yearly) if monthly + yearly else 0.0
    inputs["monthly_mrr"] = float(monthly)
    ratios = []
    plans = list(
        Plan.objects.filter(is_active=True).values("tier", "interval", "interval_count", "amount")
    )
    for plan in plans:
        if plan["interval"] != "month" or plan["interval_count"] != 1 or not plan["amount"]:
            continue
        for other in plans:
            if other["tier"] == plan["tier"] and other["interval"] == "year" and plan["tier"]:
                ratios.append(other["amount"] / 12 / other["interval_count"] / plan["amount"])
    inputs["annual_price_ratio"] = sum(ratios) / len(ratios) if ratios else 0.0
    return inputs
