"""AI cost: the month so far and its projection against the budget, spend by endpoint,
feature, model and person, each day of the last month, and the endpoints' daily limits."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.analytics.forms import AiCostLimitForm, AiCostLimitRemoveForm, form_data_or_refuse
from opsroom.analytics.services.ai_cost import (
    DIMENSIONS,
    ai_cost_limit_remove,
    ai_cost_limit_set,
    ai_cost_projection,
    ai_cost_snapshot_current,
)
from opsroom.analytics.services.ai_limits import ai_endpoint_limits
from opsroom.core import clock
from opsroom.core.refusals import permissions_needed
from opsroom.core.services.audit import AuditContext
from opsroom.people.selectors import people_by_ids

BAR_W, CHART_H = 24, 120


@require_GET
@permissions_needed("analytics.view_aicostlimit")
def ai_cost(request: HttpRequest) -> HttpResponse:
    """The AI cost dashboard (month figures kept hourly; the limits are live)."""
    now = clock.now()
    snapshot = ai_cost_snapshot_current(now=now)
    breakdowns = snapshot.data["breakdowns"]
    person_ids = [int(row["key"]) for row in breakdowns.get("person", []) if row["key"]]
    people = people_by_ids(ids=person_ids)
    tables = [
        (
            dimension,
            [
                (row, people.get(int(row["key"])) if dimension == "person" and row["key"] else None)
                for row in breakdowns.get(dimension, [])
            ],
        )
        for dimension in DIMENSIONS
    ]
    per_day = [(date.fromisoformat(day), cost) for day, cost in snapshot.data["per_day"]]
    top = max((cost for _, cost in per_day), default=0) or 1
    return render(
        request,
        "analytics/ai_cost.html",
        {
            "currency": settings.OPSROOM_AI_CURRENCY.upper(),
            "projection": ai_cost_projection(now=now, snapshot=snapshot),
            "computed_at": snapshot.computed_at,
            "breakdowns": tables,
            "bars": [
                {
                    "day": day,
                    "cost": cost,
                    "x": k * BAR_W,
                    "height": cost * (CHART_H - 4) / top,
                    "y": CHART_H - cost * (CHART_H - 4) / top,
                }
                for k, (day, cost) in enumerate(per_day)
            ],
            "chart": {"width": BAR_W * len(per_day), "height": CHART_H, "bar": BAR_W - 4},
            "limits": ai_endpoint_limits(now=now),
        },
    )


def _amount_of(data: dict[str, object]) -> float:
    return float(data["amount"])  # type: ignore[arg-type]


@require_POST
@permissions_needed("analytics.manage_ai_cost")
def ai_cost_limit(request: HttpRequest) -> HttpResponse:
    """Set the monthly budget (no endpoint) or an endpoint's daily or monthly limit (audited)."""
    data = form_data_or_refuse(AiCostLimitForm(request.POST))
    row = ai_cost_limit_set(
        endpoint=str(data["endpoint"] or ""),
        amount=_amount_of(data),
        period=str(data.get("period") or "day"),
        audit=AuditContext.from_request(request),
    )
    what = f"{row.endpoint}: {row.period}ly limit" if row.endpoint else "Monthly budget"
    messages.success(request, f"{what} set to {row.amount_micros / 1e6:,.2f}.")
    return redirect("analytics:ai_cost")


@require_POST
@permissions_needed("analytics.manage_ai_cost")
def ai_cost_limit_delete(request: HttpRequest) -> HttpResponse:
    """Remove the monthly budget or an endpoint's daily limit (audited)."""
    data = form_data_or_refuse(AiCostLimitRemoveForm(request.POST))
    endpoint = str(data["endpoint"] or "")
    ai_cost_limit_remove(endpoint=endpoint, audit=AuditContext.from_request(request))
    messages.success(request, f"{endpoint or 'The monthly budget'}: limit removed.")
    return redirect("analytics:ai_cost")
