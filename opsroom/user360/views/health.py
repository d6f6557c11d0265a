"""The health score explained, and its settings (weights, core features, bands) for admins."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsroom.core.errors import DomainError
from opsroom.core.services.audit import AuditContext
from opsroom.user360.forms import HealthConfigForm
from opsroom.user360.health import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    ERROR_PENALTY,
    OPEN_TICKET_PENALTY,
    RECOVERED_PAYMENT_SCORE,
    TICKET_PENALTY,
    weights_normalise,
)
from opsroom.user360.models import PersonHealth
from opsroom.user360.services.health import health_config_get, health_config_update


@require_http_methods(["GET", "POST"])
def health_settings(request: HttpRequest) -> HttpResponse:
    """How the health score is computed; admins change its weights and lists here."""
    config = health_config_get()
    may_change = request.user.has_perm("user360.change_healthconfig")
    weights = dict(config.weights or DEFAULT_WEIGHTS)
    initial = {
        "core_features": "\n".join(config.core_features),
        "healthy_min": config.healthy_min,
        "at_risk_min": config.at_risk_min,
        "target_days_per_week": config.target_days_per_week,
        "login_event": config.login_event,
        "usage_counters": "\n".join(
            f"{c['event']} = {c.get('label', '')}" for c in config.usage_counters
        ),
        **{f"weight_{key}": weights.get(key, 0) for key, _label in COMPONENTS},
    }
    form = HealthConfigForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Only admins change how health is scored.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                health_config_update(
                    audit=AuditContext.from_request(request),
                    weights=data["weights"],
                    core_features=data["core_list"],
                    healthy_min=data["healthy_min"],
                    at_risk_min=data["at_risk_min"],
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
            "components": [(key, label, round(shares[key] * 100)) for key, label in COMPONENTS],
            "core_in_use": list(config.core_features) or list(config.detected_core_features),
            "core_detected": not config.core_features,
            "bands": bands,
            "last_computed": last,
            "penalties": {
                "ticket": TICKET_PENALTY,
                "open": OPEN_TICKET_PENALTY,
                "error": ERROR_PENALTY,
                "recovered": RECOVERED_PAYMENT_SCORE,
            },
        },
        status=status,
    )
