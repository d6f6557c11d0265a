"""Cohort comparison: the last months' signups grouped one way, side by side."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.analytics.models import CohortComparison
from opsroom.analytics.services.cohorts import DIMENSIONS, RETENTION
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed


@require_GET
@permissions_needed("analytics.view_cohortcomparison")
def cohort_comparison(request: HttpRequest) -> HttpResponse:
    """Retention, activity and feature adoption by signup month, channel, platform or plan."""
    by = request.GET.get("by", "signup month")
    if by not in DIMENSIONS:
        raise InvalidInput(f"by is one of: {', '.join(DIMENSIONS)}.")
    comparison = CohortComparison.objects.filter(dimension=by).first()
    columns = [(key, label, True) for key, label, *_ in RETENTION]
    columns.append(("active_days", "active days in the first 30", False))
    if comparison:
        columns += [
            (f"feature:{f}", f"used {f} in the first 30 days", True) for f in comparison.features
        ]
    rows = []
    for row in comparison.rows if comparison else []:
        cells = [(row["metrics"].get(key), is_rate) for key, _, is_rate in columns]
        rows.append((row["group"], row["people"], cells))
    return render(
        request,
        "analytics/cohorts.html",
        {
            "by": by,
            "dimensions": DIMENSIONS,
            "comparison": comparison,
            "columns": columns,
            "rows": rows,
        },
    )
