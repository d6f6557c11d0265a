"""The analytics API: AI cost limits for the host app to throttle by, the month's AI cost
projection, and recent anomalies."""

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from opsroom.analytics.models import Anomaly
from opsroom.analytics.schemas import AiCostOut, AiLimitOut, AiLimitsOut, AnomalyOut
from opsroom.analytics.services.ai_cost import (
    ai_cost_projection,
    ai_cost_snapshot_current,
    ai_endpoint_limits,
)
from opsroom.core import clock
from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput

router = Router(tags=["analytics"])
MAX_DAYS = 90


@router.get(
    "/ai/limits",
    response=AiLimitsOut,
    auth=staff_or_key("read"),
    operation_id="ai_limits_list",
    summary="AI cost limits per endpoint, and which to throttle now",
)
def ai_limits(request: HttpRequest) -> AiLimitsOut:
    """Each endpoint with a daily AI cost limit, its spend today (UTC) and whether the host app
    should throttle it now. Read it every minute or so; it reflects usage already ingested."""
    now = clock.now()
    return AiLimitsOut(
        currency=settings.OPSROOM_AI_CURRENCY,
        day=now.date(),
        limits=[
            AiLimitOut(
                endpoint=limit.endpoint,
                daily_limit=limit.limit_micros / 1e6,
                spent_today=limit.spent_today_micros / 1e6,
                throttled=limit.is_throttled,
            )
            for limit in ai_endpoint_limits(now=now)
        ],
    )


@router.get(
    "/ai/cost",
    response=AiCostOut,
    auth=staff_or_key("read"),
    operation_id="ai_cost_get",
    summary="This month's AI cost and its projection against the budget",
)
def ai_cost(request: HttpRequest) -> AiCostOut:
    """The month's AI spend so far, its projection to the month's end and the budget."""
    p = ai_cost_projection(snapshot=ai_cost_snapshot_current())
    return AiCostOut(
        currency=settings.OPSROOM_AI_CURRENCY,
        month=f"{p.month_start:%Y-%m}",
        spent=p.spent_micros / 1e6,
        daily_rate=p.daily_rate_micros / 1e6,
        projected=p.projected_micros / 1e6,
        projected_high=p.projected_high_micros / 1e6,
        budget=p.budget_micros / 1e6 if p.budget_micros is not None else None,
        over_budget=p.over_budget,
        budget_reached_on=p.crosses_on,
    )


@router.get(
    "/anomalies",
    response=list[AnomalyOut],
    auth=staff_or_key("read"),
    operation_id="anomalies_list",
    summary="Recent anomalies of the watched metrics",
)
def anomalies(request: HttpRequest, days: int = 7, metric: str | None = None) -> list[AnomalyOut]:
    """Anomalies of the last `days` days (1 to 90), newest first, optionally of one metric."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days is between 1 and {MAX_DAYS}.")
    since: datetime = clock.now() - timedelta(days=days)
    rows = Anomaly.objects.filter(bucket__gte=since).select_related("metric")
    if metric is not None:
        if "\x00" in metric or len(metric) > 300:
            raise InvalidInput("metric is a watched metric's key (at most 300 characters).")
        rows = rows.filter(metric__key=metric)
    return [
        AnomalyOut(
            metric=row.metric.key,
            label=row.metric.label,
            bucket=row.bucket,
            value=row.value,
            expected=row.expected,
            score=row.score,
            direction=row.direction,
            alerted=row.alert_id is not None,
            moved=[str(item["key"]) for item in row.moved],
            releases=[str(item["release"]) for item in row.releases],
        )
        for row in rows.order_by("-bucket", "-id")[:500]
    ]
