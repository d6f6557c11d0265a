"""The health score explained, checked against churn, and its settings for admins."""

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opsroom.core.errors import DomainError
from opsroom.core.refusals import permissions_check, refusal_text
from opsroom.core.services.audit import AuditContext
from opsroom.user360.forms import HealthConfigForm
from opsroom.user360.health import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    ERROR_PENALTY,
    LAPSED_DAYS,
    OPEN_TICKET_PENALTY,
    RECOVERED_PAYMENT_SCORE,
    TICKET_PENALTY,
    weights_normalise,
)
from opsroom.user360.health_fit import HealthReport
from opsroom.user360.models import HealthConfig, PersonHealth
from opsroom.user360.services.health import health_config_get, health_config_update
from opsroom.user360.services.health_validation import CHURN_DAYS, health_validation_latest
from opsroom.user360.tasks import health_validation_weekly

CHANGE_PERMISSION = "user360.change_healthconfig"


def _initial(config: HealthConfig, weights: dict[str, float]) -> dict[str, Any]:
    return {
        "core_features": "\n".join(config.core_features),
        "healthy_min": config.healthy_min,
        "at_risk_min": config.at_risk_min,
        "new_days": config.new_days,
        "target_days_per_week": config.target_days_per_week,
        "login_event": config.login_event,
        "usage_counters": "\n".join(
            f"{c['event']} = {c.get('label', '')}" for c in config.usage_counters
        ),
        **{f"weight_{key}": weights.get(key, 0) for key, _label in COMPONENTS},
    }


def _validation(report: HealthReport | None) -> dict[str, Any]:
    """The latest validation as the page shows it: bands with a bar scaled to the worst."""
    if report is None:
        return {}
    worst = max((band.rate for band in report.bands), default=0) or 1
    return {
        "report": report,
        "band_rows": [{"band": band, "bar": band.rate / worst} for band in report.bands],
    }


@require_http_methods(["GET", "POST"])
def health_settings(request: HttpRequest) -> HttpResponse:
    """How the health score is computed and how it did against churn; admins change it here."""
    config = health_config_get()
    may_change = request.user.has_perm(CHANGE_PERMISSION)
    weights = dict(config.weights or DEFAULT_WEIGHTS)
    form = HealthConfigForm(request.POST or None, initial=_initial(config, weights))
    status = 200
    if request.method == "POST":
        permissions_check(request.user, [CHANGE_PERMISSION])
        if form.is_valid():
            data = form.cleaned_data
            try:
                health_config_update(
                    audit=AuditContext.from_request(request),
                    weights=data["weights"],
                    core_features=data["core_list"],
                    healthy_min=data["healthy_min"],
                    at_risk_min=data["at_risk_min"],
                    new_days=data["new_days"],
                    target_days_per_week=data["target_days_per_week"],
                    login_event=data["login_event"].strip(),
                    usage_counters=data["counter_list"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, "Health settings saved; they apply from the next daily scoring."
                )
                return redirect("people:health_settings")
        status = 400
    shares = weights_normalise(weights)
    latest = health_validation_latest()
    report = latest[1] if latest else None
    fitted = report.fit.weights if report and report.fit else {}
    bands = dict(
        PersonHealth.objects.values("band").annotate(n=Count("person_id")).values_list("band", "n")
    )
    last = (
        PersonHealth.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    )
    return render(
        request,
        "user360/health_settings.html",
        {
            "config": config,
            "form": form,
            "may_change": may_change,
            "components": [
                (key, label, round(shares[key] * 100), fitted.get(key)) for key, label in COMPONENTS
            ],
            "core_in_use": list(config.core_features) or list(config.detected_core_features),
            "core_detected": not config.core_features,
            "bands": bands,
            "last_computed": last,
            "validated_at": latest[0].computed_at if latest else None,
            "churn_days": CHURN_DAYS,
            "change_refusal": "" if may_change else refusal_text(request.user, [CHANGE_PERMISSION]),
            "lapsed_days": LAPSED_DAYS,
            "penalties": {
                "ticket": TICKET_PENALTY,
                "open": OPEN_TICKET_PENALTY,
                "error": ERROR_PENALTY,
                "recovered": RECOVERED_PAYMENT_SCORE,
            },
            **_validation(report),
        },
        status=status,
    )


@require_POST
def health_weights_fitted_use(request: HttpRequest) -> HttpResponse:
    """Score with the weights fitted to churn (from the latest validation)."""
    permissions_check(request.user, [CHANGE_PERMISSION])
    latest = health_validation_latest()
    if latest is None or latest[1].fit is None:
        messages.error(request, "There are no fitted weights yet: run the check first.")
        return redirect("people:health_settings")
    health_config_update(
        audit=AuditContext.from_request(request), weights=dict(latest[1].fit.weights)
    )
    messages.success(
        request,
        "The score now uses the weights fitted to churn, from the next daily scoring on. "
        "The old weights are in the audit log.",
    )
    return redirect("people:health_settings")


@require_POST
def health_validation_start(request: HttpRequest) -> HttpResponse:
    """Queue the check of the score against churn (the weekly task, now)."""
    permissions_check(request.user, [CHANGE_PERMISSION])
    health_validation_weekly.enqueue()
    messages.success(
        request,
        "The check is queued; a background worker runs it in a few seconds to a minute. "
        "Reload this page to see it.",
    )
    return redirect("people:health_settings")
