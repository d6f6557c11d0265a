"""Performance: per endpoint latency percentiles, error rates and query counts, the releases
that made an endpoint slower or more error-prone (with the evidence), the slowest calls."""

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.analytics.forms import EndpointForm, form_data_or_refuse
from opsroom.analytics.models import EndpointPerformance, PerformanceSummary
from opsroom.analytics.services import performance
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.telemetry.series import api_calls_by_ids

SORTS = {
    "p95": ["-p95_ms", "route"],
    "errors": ["-server_errors", "route"],
    "calls": ["-calls", "route"],
    "queries": ["-queries_p95", "route"],
}


@require_GET
@permissions_needed("analytics.view_endpointperformance")
def performance_index(request: HttpRequest) -> HttpResponse:
    """Every endpoint's latency and errors, release regressions and the slowest calls."""
    sort = request.GET.get("sort", "p95")
    if sort not in SORTS:
        raise InvalidInput(f"Sort by one of: {', '.join(SORTS)}.")
    endpoints = EndpointPerformance.objects.filter(release="").order_by(*SORTS[sort])[:200]
    summary = PerformanceSummary.objects.filter(key="latest").first()
    regressions = (
        EndpointPerformance.objects.exclude(release="")
        .filter(Q(slower=True) | Q(more_errors=True))
        .order_by("-first_seen_at", "route")[:50]
    )
    return render(
        request,
        "analytics/performance.html",
        {
            "endpoints": endpoints,
            "regressions": regressions,
            "slowest": api_calls_by_ids(ids=summary.slowest_ids) if summary else [],
            "sort": sort,
            "sorts": list(SORTS),
            "computed_at": endpoints[0].computed_at if endpoints else None,
            "window_days": performance.WINDOW.days,
            "many_queries": performance.MANY_QUERIES,
        },
    )


@require_GET
@permissions_needed("analytics.view_endpointperformance")
def endpoint_detail(request: HttpRequest) -> HttpResponse:
    """One endpoint, release by release, each against the one before it."""
    data = form_data_or_refuse(EndpointForm(request.GET))
    rows = list(
        EndpointPerformance.objects.filter(method=data["method"], route=data["route"]).order_by(
            "first_seen_at"
        )
    )
    overall = next((row for row in rows if not row.release), None)
    if overall is None:
        raise Http404("No calls to this endpoint in the window.")
    return render(
        request,
        "analytics/endpoint_detail.html",
        {
            "overall": overall,
            "releases": [row for row in rows if row.release],
            "window_days": performance.WINDOW.days,
        },
    )
