"""The analytics API: AI cost limits for the host app to throttle by, the month's AI cost
projection, and recent anomalies."""

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from opsroom.analytics.models import Anomaly
from opsroom.analytics.schemas import (
    AiCostOut,
    AiLimitIn,
    AiLimitOut,
    AiLimitsOut,
    AnomalyOut,
    AttributionFiguresOut,
    AttributionOut,
    AttributionRowOut,
)
from opsroom.analytics.services.ai_cost import (
    ai_cost_limit_remove,
    ai_cost_limit_set,
    ai_cost_projection,
    ai_cost_snapshot_current,
)
from opsroom.analytics.services.ai_limits import EndpointLimit, ai_endpoint_limits
from opsroom.analytics.services.attribution import attribution_period, attribution_report
from opsroom.core import clock
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.errors import Forbidden, InvalidInput
from opsroom.core.models import User
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.selectors import headline_currency

router = Router(tags=["analytics"])
MANAGE_AI_COST = "analytics.manage_ai_cost"
MAX_DAYS = 90


def _limit_out(limit: EndpointLimit) -> AiLimitOut:
    return AiLimitOut(
        endpoint=limit.endpoint,
        period=limit.period,
        limit=limit.limit_micros / 1e6,
        spent=limit.spent_micros / 1e6,
        period_start=limit.period_start,
        flag=limit.flag_key,
        throttled=limit.is_throttled,
        daily_limit=limit.limit_micros / 1e6 if limit.period == "day" else None,
        spent_today=limit.spent_today_micros / 1e6,
    )


@router.get(
    "/ai/limits",
    response=AiLimitsOut,
    auth=staff_or_key("read"),
    operation_id="ai_limits_list",
    summary="AI cost limits per endpoint, and which to throttle now",
)
def ai_limits(request: HttpRequest) -> AiLimitsOut:
    """Each endpoint with a daily or monthly AI cost limit, its spend in that period (UTC), its
    throttle flag and whether the host app should throttle it now. Read it (or the flags)
    every minute or so; it reflects usage already ingested."""
    now = clock.now()
    return AiLimitsOut(
        currency=settings.OPSROOM_AI_CURRENCY,
        day=now.date(),
        limits=[_limit_out(limit) for limit in ai_endpoint_limits(now=now)],
    )


def _may_manage_ai_cost(request: HttpRequest) -> AuditContext:
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, User) and not auth.has_perm(MANAGE_AI_COST):
        raise Forbidden(f"Your role may not set AI cost limits ({MANAGE_AI_COST}).")
    return AuditContext.from_request(request)


@router.post(
    "/ai/limits",
    response={200: AiLimitsOut, 400: ErrorOut, 403: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="ai_limits_set",
    summary="Set an endpoint's AI cost limit (or the monthly budget)",
)
def ai_limit_set(request: HttpRequest, data: AiLimitIn) -> AiLimitsOut:
    """Set an endpoint's daily or monthly AI cost limit (its throttle flag follows at once), or
    with `endpoint` "" the monthly budget; audited. Answers the limits as they are now."""
    ai_cost_limit_set(
        endpoint=data.endpoint,
        amount=data.amount,
        period=data.period,
        audit=_may_manage_ai_cost(request),
    )
    return ai_limits(request)


@router.delete(
    "/ai/limits",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="ai_limits_remove",
    summary="Remove an endpoint's AI cost limit (or the monthly budget)",
)
def ai_limit_remove(request: HttpRequest, endpoint: str) -> Status[None]:
    """Remove an endpoint's limit (its flag is switched off and stays), or with `endpoint` ""
    the monthly budget; audited."""
    ai_cost_limit_remove(endpoint=endpoint, audit=_may_manage_ai_cost(request))
    return Status(204, None)


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


@router.get(
    "/attribution",
    response=AttributionOut,
    auth=staff_or_key("read"),
    operation_id="attribution_get",
    summary="Signups, trials, customers, MRR, spend and CAC by first and last touch",
)
def attribution(
    request: HttpRequest,
    start: str | None = None,
    end: str | None = None,
    by: str = "channel",
    model: str = "last",
) -> AttributionOut:
    """People who signed up in the months from `start` to `end` (YYYY-MM; the last 3 months by
    default) credited by their first, last and any touch to a channel, a campaign or a landing
    page (`by`: channel, campaign, content), with the spend entered for those months and the
    conversion rate and CAC under `model` (first or last touch)."""
    for name, value in (("start", start), ("end", end), ("by", by), ("model", model)):
        if value is not None and ("\x00" in value or len(value) > 20):
            raise InvalidInput(f"{name} is too long or holds a NUL character.")
    first, last = attribution_period(start=start, end=end, today=clock.now().date())
    report = attribution_report(start=first, end=last, by=by, model=model)
    return AttributionOut(
        currency=headline_currency(),
        start=f"{report.start:%Y-%m}",
        end=f"{report.end:%Y-%m}",
        by=report.by,
        model=report.model,
        computed_at=report.computed_at,
        unconverted_spend=report.unconverted_spend,
        rows=[
            AttributionRowOut(
                channel=row.channel,
                campaign=row.campaign,
                landing_page=row.landing_page,
                first_touch=AttributionFiguresOut(**row.first),
                last_touch=AttributionFiguresOut(**row.last),
                any_touch=AttributionFiguresOut(**row.any),
                conversion_rate=row.conversion_rate,
                spend=row.spend,
                cac=row.cac,
            )
            for row in report.rows
        ],
    )
