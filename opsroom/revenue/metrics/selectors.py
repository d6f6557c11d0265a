"""Reads of the MRR ledger: MRR per period, the movements and who is behind them, segments."""

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum

from opsroom.core.errors import InvalidInput
from opsroom.people.models import Person
from opsroom.revenue.metrics.ledger import Rates
from opsroom.revenue.models import (
    ExchangeRate,
    LedgerState,
    MrrDay,
    MrrMovement,
    MrrSegmentMonth,
    RevenueOverview,
    RevenueSettings,
    Subscription,
)
from opsroom.revenue.mrr import mrr_statuses

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
PERIOD_INTERVALS = ("day", "week", "month", "quarter", "year")
MAX_PERIODS = 1000


@dataclass(frozen=True)
class MrrPeriod:
    period: str  # 2026-03, 2026-W11, 2026-Q1, 2026, or 2026-03-14
    start: date
    end: date  # the last day, inclusive
    mrr: int  # at the end of the period (or of the last day built, for the current one)
    new: int
    expansion: int
    contraction: int  # negative or zero
    churn: int  # negative or zero
    reactivation: int
    customers: int
    new_customers: int
    churned_customers: int
    reactivated_customers: int
    currency: str


def rates_load() -> Rates:
    """Every exchange rate into the headline currency, for conversions."""
    headline = str(settings.OPSROOM_CURRENCY)
    table: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for currency, day, rate in (
        ExchangeRate.objects.exclude(currency=headline)
        .order_by("currency", "day")
        .values_list("currency", "day", "rate")
    ):
        table[currency].append((day, rate))
    return Rates(headline, dict(table))


def ledger_state() -> LedgerState | None:
    """How far the ledger is built, or None before its first run."""
    return LedgerState.objects.filter(pk=1).first()


def revenue_settings_get() -> RevenueSettings:
    """The operators' settings (defaults until someone saves them)."""
    return RevenueSettings.objects.filter(pk=1).first() or RevenueSettings(pk=1)


def mrr_day_on(*, day: date) -> MrrDay | None:
    """The snapshot that holds on a day: that day's, else the latest before it."""
    return MrrDay.objects.filter(day__lte=day).order_by("-day").first()


def period_bounds(*, start: date, end: date, interval: str) -> list[tuple[str, date, date]]:
    """The periods of an interval that cover start..end, as (label, first day, last day)."""
    if interval not in PERIOD_INTERVALS:
        raise InvalidInput(f"interval must be one of {', '.join(PERIOD_INTERVALS)}.")
    if end < start:
        raise InvalidInput("The end comes before the start.")
    periods: list[tuple[str, date, date]] = []
    cursor = _period_start(start, interval)
    while cursor <= end:
        last = _period_end(cursor, interval)
        periods.append((_period_label(cursor, interval), cursor, last))
        if len(periods) > MAX_PERIODS:
            raise InvalidInput(f"At most {MAX_PERIODS} periods at a time: narrow the range.")
        cursor = last + timedelta(days=1)
    return periods


def _period_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if interval == "year":
        return date(day.year, 1, 1)
    return day


def _period_end(first: date, interval: str) -> date:
    if interval == "week":
        return first + timedelta(days=6)
    if interval == "month":
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if interval == "quarter":
        month = first.month + 2
        return date(first.year, month, calendar.monthrange(first.year, month)[1])
    if interval == "year":
        return date(first.year, 12, 31)
    return first


def _period_label(first: date, interval: str) -> str:
    if interval == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return f"{first:%Y-%m}"
    if interval == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if interval == "year":
        return str(first.year)
    return first.isoformat()


def mrr_periods(*, start: date, end: date, interval: str) -> list[MrrPeriod]:
    """MRR at the end of each period from start to end and the movements within it."""
    bounds = period_bounds(start=start, end=end, interval=interval)
    first, last = bounds[0][1], bounds[-1][2]
    days = list(
        MrrDay.objects.filter(day__gte=first, day__lte=last)
        .order_by("day")
        .values(
            "day",
            "mrr",
            "customers",
            "new_customers",
            "churned_customers",
            "reactivated_customers",
            *MOVEMENTS,
        )
    )
    opening = mrr_day_on(day=first - timedelta(days=1))
    held = {"mrr": opening.mrr if opening else 0, "customers": opening.customers if opening else 0}
    currency = str(settings.OPSROOM_CURRENCY)
    periods: list[MrrPeriod] = []
    index = 0
    for label, period_first, period_last in bounds:
        sums = dict.fromkeys(
            (*MOVEMENTS, "new_customers", "churned_customers", "reactivated_customers"), 0
        )
        while index < len(days) and days[index]["day"] <= period_last:
            row = days[index]
            for name in sums:
                sums[name] += row[name]
            held = {"mrr": row["mrr"], "customers": row["customers"]}
            index += 1
        periods.append(
            MrrPeriod(
                period=label,
                start=period_first,
                end=period_last,
                mrr=held["mrr"],
                customers=held["customers"],
                currency=currency,
                **sums,
            )
        )
    return periods


def movements_list(
    *,
    kind: str | None,
    start: date,
    end: date,
    dimension: str | None = None,
    key: str | None = None,
) -> QuerySet[MrrMovement]:
    """The ledger rows of a kind (all but 'no change' when None) between two days, newest
    first, with the person and subscription behind each."""
    rows = MrrMovement.objects.filter(day__gte=start, day__lte=end).select_related(
        "person", "subscription"
    )
    if kind is None:
        rows = rows.exclude(kind=MrrMovement.Kind.NEUTRAL)
    elif kind not in MrrMovement.Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(MrrMovement.Kind.values)}.")
    else:
        rows = rows.filter(kind=kind)
    if dimension is not None:
        column = _SEGMENT_COLUMNS.get(dimension)
        if column is None:
            raise InvalidInput(f"dimension must be one of {', '.join(_SEGMENT_COLUMNS)}.")
        rows = rows.filter(**{column: key or ""})
    return rows.order_by("-day", "-id")


_SEGMENT_COLUMNS = {
    "plan": "plan_code",
    "interval": "interval",
    "channel": "channel",
    "country": "country",
}


def movements_total(rows: QuerySet[MrrMovement]) -> int:
    """The sum of the movements of a movements_list, in the headline currency."""
    return int(rows.order_by().aggregate(total=Sum("amount"))["total"] or 0)


@dataclass(frozen=True)
class Segment:
    key: str
    mrr: int
    count: int
    share: float  # of the month's MRR, 0..1
    new: int
    expansion: int
    contraction: int
    churn: int
    reactivation: int

    @property
    def net(self) -> int:
        return self.new + self.expansion + self.contraction + self.churn + self.reactivation


def segments_for_month(*, month: date, dimension: str) -> list[Segment]:
    """MRR by plan, billing interval, channel or country at the end of a month, largest first."""
    if dimension not in MrrSegmentMonth.Dimension.values:
        raise InvalidInput(
            f"dimension must be one of {', '.join(MrrSegmentMonth.Dimension.values)}."
        )
    first = month.replace(day=1)
    latest = (
        MrrSegmentMonth.objects.filter(month__lte=first, dimension=dimension)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if latest is None:
        return []
    rows = list(
        MrrSegmentMonth.objects.filter(month=latest, dimension=dimension).order_by("-mrr", "key")
    )
    total = sum(max(row.mrr, 0) for row in rows) or 1
    # The movements are the month's own: none when the latest segments are an earlier month's.
    in_month = latest == first
    return [
        Segment(
            key=row.key,
            mrr=row.mrr,
            count=row.count,
            share=max(row.mrr, 0) / total,
            **{name: getattr(row, name) if in_month else 0 for name in MOVEMENTS},
        )
        for row in rows
        if row.mrr or row.count
    ]


def overview_latest() -> RevenueOverview | None:
    """The overview cards as last computed."""
    return RevenueOverview.objects.order_by("-day").first()


def paying_customers() -> QuerySet[Subscription, dict[str, Any]]:
    """Customers paying now (subscriptions counting MRR), by MRR, one row per currency: person
    ids only, so that counting and ordering them reads the subscriptions alone (the names of a
    page's customers: `paying_customers_named`)."""
    return (
        Subscription.objects.filter(status__in=mrr_statuses(), mrr_amount__gt=0)
        .values("person_id", "currency")
        .annotate(mrr=Sum("mrr_amount"), subscriptions=Count("id"))
        .order_by("-mrr", "person_id")
    )


def paying_customers_named(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `paying_customers` with each person's name, email and external id."""
    rows = list(rows)
    people = {
        pk: (name, email, external_id)
        for pk, name, email, external_id in Person.objects.filter(
            id__in={row["person_id"] for row in rows}
        ).values_list("id", "name", "email", "external_id")
    }
    named = []
    for row in rows:
        name, email, external_id = people.get(row["person_id"], ("", "", ""))
        named.append(
            {
                **row,
                "person__name": name,
                "person__email": email,
                "person__external_id": external_id,
            }
        )
    return named
