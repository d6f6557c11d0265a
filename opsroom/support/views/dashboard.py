"""The support dashboard: a period against the one before."""

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.support.selectors.metrics import (
    DailyVolumes,
    daily_volumes,
    period_figures,
    top_issues,
)
from opsroom.support.selectors.sla import sla_settings_get
from opsroom.support.services.csat import HANDLING_LABELS

PERIODS = {"7": 7, "30": 30, "90": 90}


def _chart(volumes: DailyVolumes) -> dict[str, Any]:
    """Tickets a day stacked by who resolved them, with the day's mean CSAT as a line."""
    return {
        "type": "bar",
        "labels": [d.isoformat() for d in volumes.days],
        "datasets": [
            {
                "label": "Auto-resolved",
                "data": volumes.auto_resolved,
                "stack": "tickets",
                "yAxisID": "tickets",
                "color": "#2a9d8f",
            },
            {
                "label": "AI-assisted",
                "data": volumes.ai_assisted,
                "stack": "tickets",
                "yAxisID": "tickets",
                "color": "#3b6fd8",
            },
            {
                "label": "Manual",
                "data": volumes.manual,
                "stack": "tickets",
                "yAxisID": "tickets",
                "color": "#9aa5b1",
            },
            {
                "type": "line",
                "label": "CSAT (1-5)",
                "data": volumes.csat,
                "yAxisID": "csat",
                "color": "#e76f51",
                "spanGaps": True,
                "tension": 0,
            },
        ],
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "x": {"stacked": True},
                "tickets": {"position": "left", "stacked": True, "beginAtZero": True},
                "csat": {"position": "right", "min": 1, "max": 5, "grid": {"display": False}},
            },
        },
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Volumes split by who resolved them, response and resolution times, CSAT, draft quality,
    top issues."""
    days = request.GET.get("days", "30")
    if days not in PERIODS:
        raise InvalidInput(f"days is one of {', '.join(PERIODS)}.")
    now = clock.now()
    span = timedelta(days=PERIODS[days])
    settings = sla_settings_get()
    current = period_figures(start=now - span, end=now, settings=settings)
    previous = period_figures(start=now - 2 * span, end=now - span, settings=settings)
    csat_rows = [
        (key, label, current.csat_by_handling.get(key), previous.csat_by_handling.get(key))
        for key, label in HANDLING_LABELS.items()
    ]
    return render(
        request,
        "support/dashboard.html",
        {
            "days": days,
            "periods": PERIODS,
            "current": current,
            "previous": previous,
            "csat_rows": csat_rows,
            "chart": _chart(daily_volumes(start=now - span, end=now)),
            "issues": top_issues(now=now),
            "sla": settings,
        },
    )
