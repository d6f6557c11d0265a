"""The forecast page: scenarios, adjustable assumptions (recomputed as they change), growth
levers, the backtested error; its CSV, a printable page, and signed read-only share links."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.errors import DomainError, InvalidInput
from opsroom.core.middleware import public
from opsroom.core.money import currency_exponent
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.revenue.forecast.model import ASSUMPTION_FIELDS
from opsroom.revenue.forecast.report import (
    PERCENT_FIELDS,
    SCENARIOS,
    ForecastReport,
    forecast_csv,
    forecast_report,
    overrides_parse,
)
from opsroom.revenue.models import ForecastBasis
from opsroom.revenue.views.access import perm_require, section

SHARE_SALT = "opsroom.revenue.forecast.share"
LABELS = {
    "mrr_churn": "MRR churn (% a month)",
    "contraction": "Contraction (% of MRR a month)",
    "expansion": "Expansion (% of MRR a month)",
    "customer_churn": "Customer churn (% a month)",
    "trials": "Trials a month",
    "trial_growth": "Trial growth (% a month)",
    "conversion": "Trial conversion (%)",
    "direct_new": "New customers a month without a trial",
    "new_arpa": "New customer MRR (minor units)",
    "reactivation": "Reactivation MRR a month (minor units)",
    "reactivated_customers": "Returning customers a month",
}
COLORS = {"conservative": "#b26a00", "base": "#2457d6", "optimistic": "#1a7f4b"}


def _basis() -> ForecastBasis | None:
    return ForecastBasis.objects.order_by("-day").first()


def _display(name: str, value: float) -> str:
    shown = value * 100 if name in PERCENT_FIELDS else value
    return f"{shown:.2f}".rstrip("0").rstrip(".") if shown % 1 else f"{shown:.0f}"


def _chart(report: ForecastReport) -> dict[str, Any]:
    scale = 10 ** currency_exponent(report.currency)
    history = report.history[-12:]
    labels = [f"{f.month:%Y-%m}" for f in history] + [
        f"{m.month:%Y-%m}" for m in report.scenarios["base"]
    ]
    past = [round(f.mrr_end / scale, 2) for f in history]
    datasets: list[dict[str, Any]] = [
        {"label": "MRR (actual)", "data": past + [None] * 12, "color": "#14213d"}
    ]
    for name in SCENARIOS:
        points = [None] * (len(history) - 1) + [past[-1] if past else None]
        points += [round(m.mrr / scale, 2) for m in report.scenarios[name]]
        datasets.append(
            {
                "label": name.capitalize(),
                "data": points,
                "color": COLORS[name],
                "borderDash": [6, 4],
            }
        )
    return {"type": "line", "labels": labels, "datasets": datasets}


def _context(report: ForecastReport, overrides: dict[str, float]) -> dict[str, Any]:
    rows = [
        (
            name,
            LABELS[name],
            _display(name, getattr(report.measured, name)),
            _display(name, getattr(report.assumptions["base"], name)),
            _display(name, getattr(report.assumptions["conservative"], name)),
            _display(name, getattr(report.assumptions["optimistic"], name)),
            name in overrides,
        )
        for name in ASSUMPTION_FIELDS
    ]
    ends = {name: report.scenarios[name][-1] for name in SCENARIOS}
    return {
        "report": report,
        "rows": rows,
        "ends": ends,
        "chart": _chart(report),
        "currency": report.currency,
        "months": list(zip(*(report.scenarios[s] for s in SCENARIOS), strict=True)),
    }


def _report(request: HttpRequest, source: dict[str, str]) -> tuple[Any, dict[str, float], str]:
    basis = _basis()
    if basis is None:
        return None, {}, ""
    try:
        overrides = overrides_parse(source)
        return forecast_report(basis=basis, overrides=overrides), overrides, ""
    except InvalidInput as exc:
        return forecast_report(basis=basis, overrides={}), {}, exc.message


@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    """The 12-month forecast; an HTMX request gets only the recomputed results."""
    perm_require(request, "revenue.view_forecastbasis")
    report, overrides, error = _report(request, request.GET.dict())
    context = section(
        "forecast",
        error=error,
        may_share=request.user.has_perm("revenue.share_forecast"),
        query=request.GET.urlencode(),
        **(_context(report, overrides) if report else {"report": None}),
    )
    template = "revenue/partials/_forecast_results.html"
    if not request.headers.get("HX-Request"):
        template = "revenue/forecast.html"
    return render(request, template, context, status=400 if error else 200)


@require_GET
def forecast_export(request: HttpRequest) -> HttpResponse:
    """The forecast as CSV (amounts in minor units of the headline currency)."""
    perm_require(request, "revenue.view_forecastbasis")
    report, _, error = _report(request, request.GET.dict())
    if report is None or error:
        return HttpResponse(error or "No forecast yet.", status=400, content_type="text/plain")
    response = HttpResponse(forecast_csv(report), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="forecast-{report.start:%Y-%m}.csv"'
    return response


@require_GET
def forecast_print(request: HttpRequest) -> HttpResponse:
    """A printable page of the forecast."""
    perm_require(request, "revenue.view_forecastbasis")
    report, overrides, _ = _report(request, request.GET.dict())
    if report is None:
        raise Http404("No forecast yet.")
    return render(
        request, "revenue/forecast_print.html", {**_context(report, overrides), "shared": None}
    )


@require_POST
def forecast_share(request: HttpRequest) -> HttpResponse:
    """A signed, read-only link to this forecast (with these assumptions) that expires."""
    perm_require(request, "revenue.share_forecast")
    try:
        overrides = overrides_parse(request.POST.dict())
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain")
    days = settings.OPSROOM_REVENUE_SHARE_DAYS
    token = signing.dumps({"o": overrides, "by": request.user.pk}, salt=SHARE_SALT, compress=True)
    link = request.build_absolute_uri(reverse("revenue:forecast_shared", args=[token]))
    audit_record(
        AuditContext.from_request(request),
        action="revenue.forecast_share",
        target_type="revenue.forecast",
        target_id="forecast",
        target_label="Revenue forecast",
        params={"overrides": overrides, "days": days},
    )
    return render(
        request,
        "revenue/partials/_share_link.html",
        {"link": link, "expires": clock.now() + timedelta(days=days)},
    )


@public
@require_GET
def forecast_shared(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only forecast behind a share link, while the link is valid (no sign-in)."""
    try:
        data = signing.loads(
            token, salt=SHARE_SALT, max_age=timedelta(days=settings.OPSROOM_REVENUE_SHARE_DAYS)
        )
    except signing.BadSignature:
        raise Http404("This link is not valid or has expired.") from None
    basis = _basis()
    if basis is None:
        raise Http404("No forecast yet.")
    try:
        overrides = {k: float(v) for k, v in dict(data.get("o", {})).items() if k in LIMITS_KEYS}
        report = forecast_report(basis=basis, overrides=overrides)
    except (DomainError, TypeError, ValueError):
        raise Http404("This link is not valid or has expired.") from None
    response = render(
        request, "revenue/forecast_print.html", {**_context(report, overrides), "shared": True}
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


LIMITS_KEYS = set(ASSUMPTION_FIELDS)
