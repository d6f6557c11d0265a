"""Support metrics for a period against the one before."""

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Status

from opsroom.core import clock
from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput
from opsroom.core.schemas import ErrorOut
from opsroom.support.api.access import (
    router,
)
from opsroom.support.schemas import (
    MetricsOut,
)
from opsroom.support.selectors.metrics import PeriodFigures, period_figures, top_issues
from opsroom.support.selectors.sla import sla_settings_get


def _period_out(figures: PeriodFigures) -> dict[str, Any]:
    return {
        "start": figures.start,
        "end": figures.end,
        "total": figures.total,
        "auto_resolved": figures.auto_resolved,
        "ai_assisted": figures.ai_assisted,
        "manual": figures.manual,
        "first_response_mean_hours": figures.first_response.mean_hours,
        "first_response_median_hours": figures.first_response.median_hours,
        "first_response_within_target": figures.first_response_met,
        "resolution_mean_hours": figures.resolution.mean_hours,
        "resolution_median_hours": figures.resolution.median_hours,
        "resolution_within_target": figures.resolution_met,
        "by_priority": [
            {
                "priority": row.priority,
                "first_reply_target_hours": row.first_reply_target_hours,
                "resolution_target_hours": row.resolution_target_hours,
                "business_hours": row.business_hours,
                "first_response_median_hours": row.first_response.median_hours,
                "first_response_within_target": row.first_response_met,
                "resolution_median_hours": row.resolution.median_hours,
                "resolution_within_target": row.resolution_met,
            }
            for row in figures.by_priority
        ],
        "auto_resolution_mean_seconds": figures.auto_resolution_seconds,
        "csat": figures.csat,
        "csat_count": figures.csat_count,
        "csat_by_handling": {
            key: {"mean": mean, "ratings": n} for key, (mean, n) in figures.csat_by_handling.items()
        },
        "suggestions_used": figures.suggestions_used,
        "suggestions_edited": figures.suggestions_edited,
        "suggestions_rejected": figures.suggestions_rejected,
        "suggestion_acceptance": figures.suggestion_acceptance,
    }


@router.get(
    "/support/metrics",
    response={200: MetricsOut, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_metrics",
    summary="Support metrics for a period and the one before",
)
def metrics(request: HttpRequest, days: int = 30) -> Status[Any]:
    """Tickets split auto-resolved / AI-assisted / manual, response and resolution times,
    CSAT, how suggested replies fared, and this week's top issues with trending marked."""
    if not 1 <= days <= 366:
        raise InvalidInput("days is between 1 and 366.")
    now = clock.now()
    span = timedelta(days=days)
    settings = sla_settings_get()
    return Status(
        200,
        {
            "days": days,
            "current": _period_out(period_figures(start=now - span, end=now, settings=settings)),
            "previous": _period_out(
                period_figures(start=now - 2 * span, end=now - span, settings=settings)
            ),
            "top_issues": [
                {
                    "category": issue.category,
                    "this_week": issue.this_week,
                    "weekly_baseline": issue.weekly_baseline,
                    "is_trending": issue.is_trending,
                    "p_value": issue.p_value,
                }
                for issue in top_issues(now=now)
            ],
        },
    )
