"""Anomalies: the watched metrics with their state and settings, recent anomalies with their
context, one metric's last days as a chart; tuning and snoozing (audited)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsroom.analytics.anomaly.detectors import THRESHOLDS
from opsroom.analytics.forms import MetricSnoozeForm, MetricTuneForm, form_data_or_refuse
from opsroom.analytics.models import Anomaly, MetricWatch
from opsroom.analytics.services.anomalies import metric_watch_snooze, metric_watch_tune
from opsroom.core import clock
from opsroom.core.refusals import permissions_needed
from opsroom.core.services.audit import AuditContext

RECENT = timedelta(days=30)
CHART_W, CHART_H = 720, 160


@require_GET
@permissions_needed("analytics.view_anomaly")
def anomaly_list(request: HttpRequest) -> HttpResponse:
    """Every watched metric with its latest point and settings, and the recent anomalies."""
    anomalies = (
        Anomaly.objects.filter(bucket__gte=clock.now() - RECENT)
        .select_related("metric", "alert")
        .order_by("-bucket", "-id")[:200]
    )
    return render(
        request,
        "analytics/anomaly_list.html",
        {
            "watches": MetricWatch.objects.order_by("step", "key"),
            "anomalies": anomalies,
            "sensitivities": MetricWatch.Sensitivity.choices,
            "now": clock.now(),
        },
    )


@require_GET
@permissions_needed("analytics.view_anomaly")
def metric_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One watched metric: its last days against what the detector expected, its anomalies."""
    # A NUL cannot be in a stored key (and PostgreSQL refuses to compare with one).
    watch = None if "\x00" in key else MetricWatch.objects.filter(key=key).first()
    if watch is None:
        raise Http404("No watched metric has this key.")
    return render(
        request,
        "analytics/metric_detail.html",
        {
            "watch": watch,
            "chart": _chart(watch),
            "anomalies": watch.anomalies.select_related("alert").order_by("-bucket")[:100],
            "sensitivities": MetricWatch.Sensitivity.choices,
            "threshold": THRESHOLDS.get(watch.sensitivity),
            "now": clock.now(),
        },
    )


def _chart(watch: MetricWatch) -> dict[str, Any] | None:
    """SVG coordinates of the kept points: values, the detector's expectation, anomalies."""
    points = watch.recent or []
    if len(points) < 2:
        return None
    finite = [v for _, value, expected, _ in points for v in (value, expected) if v is not None]
    top = max(finite, default=1.0) or 1.0
    first, span = points[0][0], (points[-1][0] - points[0][0]) or 1.0

    def xy(stamp: float, value: float) -> str:
        x = (stamp - first) / span * CHART_W
        y = CHART_H - (value / top) * (CHART_H - 10) if top > 0 else CHART_H
        return f"{x:.1f},{max(min(y, CHART_H), 0):.1f}"

    threshold = THRESHOLDS.get(watch.sensitivity, 2.0)
    return {
        "width": CHART_W,
        "height": CHART_H,
        "top": top,
        "start": datetime.fromtimestamp(first, tz=UTC),
        "end": datetime.fromtimestamp(points[-1][0], tz=UTC),
        "values": " ".join(xy(s, v) for s, v, _, _ in points if v is not None),
        "expected": " ".join(xy(s, e) for s, _, e, _ in points if e is not None),
        "marks": [xy(s, v).split(",") for s, v, _, p in points if v is not None and p >= threshold],
    }


def _back(request: HttpRequest, key: str) -> HttpResponse:
    if request.POST.get("next") == "metric":
        return redirect(reverse("analytics:metric_detail", kwargs={"key": key}))
    return redirect("analytics:anomaly_list")


@require_POST
@permissions_needed("analytics.manage_alerts")
def metric_tune(request: HttpRequest) -> HttpResponse:
    """Change a metric's sensitivity (audited)."""
    data = form_data_or_refuse(MetricTuneForm(request.POST))
    watch = metric_watch_tune(
        key=str(data["key"]),
        sensitivity=str(data["sensitivity"]),
        audit=AuditContext.from_request(request),
    )
    messages.success(request, f"{watch.label}: sensitivity {watch.get_sensitivity_display()}.")
    return _back(request, watch.key)


@require_POST
@permissions_needed("analytics.manage_alerts")
def metric_snooze(request: HttpRequest) -> HttpResponse:
    """Snooze a metric's alerts for some hours, or end a snooze with 0 (audited)."""
    data = form_data_or_refuse(MetricSnoozeForm(request.POST))
    hours = int(data["hours"])  # type: ignore[call-overload]
    watch = metric_watch_snooze(
        key=str(data["key"]), hours=hours, audit=AuditContext.from_request(request)
    )
    if watch.snoozed_until:
        messages.success(
            request, f"{watch.label}: no alerts until {watch.snoozed_until:%Y-%m-%d %H:%M} UTC."
        )
    else:
        messages.success(request, f"{watch.label}: alerts are on again.")
    return _back(request, watch.key)
