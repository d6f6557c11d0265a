"""Reads of AI usage: cost in total, per day, and by endpoint, feature, model or person."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from django.db.models import Count, FloatField, Sum
from django.db.models.functions import Cast, TruncDay

from opsroom.core.timeseries import Step, per_bucket
from opsroom.telemetry.models import AiUsage

Dimension = Literal["endpoint", "feature", "model", "person"]


@dataclass(frozen=True)
class CostRow:
    key: str  # the endpoint, feature, model, or the person's id ("" when not given)
    cost_micros: int
    calls: int
    input_tokens: int
    output_tokens: int


def _usage(*, since: datetime, until: datetime, currency: str):  # type: ignore[no-untyped-def]
    return AiUsage.objects.filter(
        occurred_at__gte=since, occurred_at__lt=until, currency=currency
    ).order_by()


def ai_cost_total(*, since: datetime, until: datetime, currency: str) -> int:
    """AI cost in millionths of the currency in [since, until)."""
    total = _usage(since=since, until=until, currency=currency).aggregate(c=Sum("cost_micros"))
    return int(total["c"] or 0)


def ai_cost_by(
    *, dimension: Dimension, since: datetime, until: datetime, currency: str, limit: int = 20
) -> list[CostRow]:
    """The most costly endpoints, features, models or people in [since, until)."""
    column = "person_id" if dimension == "person" else dimension
    rows = (
        _usage(since=since, until=until, currency=currency)
        .values(column)
        .annotate(
            cost=Sum("cost_micros"),
            calls=Count("pk"),
            tokens_in=Sum("input_tokens"),
            tokens_out=Sum("output_tokens"),
        )
        .order_by("-cost", column)[:limit]
    )
    return [
        CostRow(
            key="" if row[column] is None else str(row[column]),
            cost_micros=int(row["cost"] or 0),
            calls=row["calls"],
            input_tokens=int(row["tokens_in"] or 0),
            output_tokens=int(row["tokens_out"] or 0),
        )
        for row in rows
    ]


def ai_cost_per_day(*, since: datetime, until: datetime, currency: str) -> dict[date, int]:
    """AI cost per day (UTC) in [since, until), in millionths; days without usage absent."""
    rows = (
        _usage(since=since, until=until, currency=currency)
        .annotate(day=TruncDay("occurred_at"))
        .values("day")
        .annotate(cost=Sum("cost_micros"))
    )
    return {
        (row["day"].date() if isinstance(row["day"], datetime) else row["day"]): int(row["cost"])
        for row in rows
    }


def ai_cost_per_endpoint(*, since: datetime, until: datetime, currency: str) -> dict[str, int]:
    """AI cost per endpoint in [since, until), in millionths."""
    rows = (
        _usage(since=since, until=until, currency=currency)
        .values("endpoint")
        .annotate(cost=Sum("cost_micros"))
    )
    return {row["endpoint"]: int(row["cost"] or 0) for row in rows}


def ai_cost_per_bucket(*, step: Step, since: datetime, until: datetime) -> dict[datetime, float]:
    """AI cost per hour or day in currency units (every currency together), for the watch."""
    rows = per_bucket(
        AiUsage.objects.all(),
        field="occurred_at",
        step=step,
        since=since,
        until=until,
        value=Sum("cost_micros"),
    )
    return {bucket: value / 1e6 for (_, bucket), value in rows.items()}


def ai_cost_squares_per_bucket(
    *, step: Step, since: datetime, until: datetime
) -> dict[datetime, float]:
    """The sum of each AI call's squared cost per hour or day (currency units squared): with
    the cost per bucket, the scale of its noise (analytics/anomaly/metrics.py)."""
    cost = Cast("cost_micros", FloatField()) / 1e6
    rows = per_bucket(
        AiUsage.objects.all(),
        field="occurred_at",
        step=step,
        since=since,
        until=until,
        value=Sum(cost * cost, output_field=FloatField()),
    )
    return {bucket: value for (_, bucket), value in rows.items()}
