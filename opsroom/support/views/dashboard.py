"""The support dashboard: a period against the one before."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.support.selectors.metrics import period_figures, top_issues
from opsroom.support.selectors.sla import sla_settings_get

PERIODS = {"7": 7, "30": 30, "90": 90}


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
    return render(
        request,
        "support/dashboard.html",
        {
            "days": days,
            "periods": PERIODS,
            "current": period_figures(start=now - span, end=now, settings=settings),
            "previous": period_figures(start=now - 2 * span, end=now - span, settings=settings),
            "issues": top_issues(now=now),
            "sla": settings,
        },
    )
