"""Performance: per endpoint and per user action latency percentiles, error rates, the time
split and query counts; N+1 suspects with example requests; the releases that made an endpoint
slower or more error-prone (with the evidence), the slowest calls."""

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.analytics.forms import EndpointForm, form_data_or_refuse
from opsroom.analytics.models import ActionPerformance, EndpointPerformance, PerformanceSummary
from opsroom.analytics.services import performance
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.telemetry.series import api_calls_by_ids
from opsroom.telemetry.spans import N_PLUS_ONE_MIN

SORTS = {
    "p95": ["-p95_ms", "route"],
    "errors": ["-server_errors", "route"],
    "calls": ["-calls", "route"],
    "queries": ["-queries_p95", "route"],
    "n_plus_one": ["-n_plus_one_calls", "route"],
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
    overall = EndpointPerformance.objects.filter(release="")
    suspects = list(overall.filter(n_plus_one_calls__gt=0).order_by(*SORTS["n_plus_one"])[:20])
    actions = list(ActionPerformance.objects.order_by("-calls", "action")[:100])
    example_ids = [pk for row in suspects for pk in row.n_plus_one_examples]
    example_ids += [pk for action in actions for pk in action.n_plus_one_examples]
    examples = {call.pk: call for call in api_calls_by_ids(ids=example_ids)}
    return render(
        request,
        "analytics/performance.html",
        {
            "endpoints": endpoints,
            "regressions": regressions,
            "suspects": [
                (row, [examples[pk] for pk in row.n_plus_one_examples if pk in examples])
                for row in suspects
            ],
            "actions": [
                (row, [examples[pk] for pk in row.n_plus_one_examples if pk in examples])
                for row in actions
            ],
            "has_split": overall.filter(split_calls__gt=0).exists(),
            "has_spans": overall.filter(span_calls__gt=0).exists(),
            "n_plus_one_min": N_PLUS_ONE_MIN,
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
            "n_plus_one_min": N_PLUS_ONE_MIN,
        },
    )
