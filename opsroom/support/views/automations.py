"""Auto-resolution: each automation's mode, the classifier's threshold figures, and the
review list of the last 24 hours (one click reopens)."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Automation, AutomationRun, FeatureAccess
from opsroom.support.selectors.automations import (
    automation_threshold_figures,
    retention_offer_figures,
)
from opsroom.support.services.automations import (
    automation_run_reopen,
    automation_set,
    feature_access_delete,
    feature_access_save,
)
from opsroom.support.services.retention import (
    MAX_OFFER_MONTHS,
    OFFER_DAYS,
    retention_offer_set,
    retention_offer_words,
)

REVIEW_WINDOW = timedelta(hours=24)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The automations, their figures and what they did in the last 24 hours."""
    user = request_staff(request)
    since = clock.now() - REVIEW_WINDOW
    runs = (
        AutomationRun.objects.filter(created_at__gte=since)
        .select_related("ticket", "ticket__requester", "offer")
        .order_by("-created_at", "-id")[:200]
    )
    offer = Automation.objects.filter(intent=Automation.Intent.CANCELLATION).first()
    return render(
        request,
        "support/automations.html",
        {
            "automations": Automation.objects.all(),
            "modes": Automation.Mode.choices,
            "figures": automation_threshold_figures(),
            "runs": runs,
            "can_manage": user.has_perm("support.manage_automations"),
            "can_reopen": user.has_perm("support.change_ticket"),
            "features": FeatureAccess.objects.all(),
            "offer_automation": offer,
            "offer_words": retention_offer_words(
                percent_off=offer.offer_percent_off, months=offer.offer_months
            )
            if offer is not None
            else "",
            "offer_figures": retention_offer_figures(),
            "offer_days": OFFER_DAYS,
            "offer_max_months": MAX_OFFER_MONTHS,
        },
    )


@require_POST
def update(request: HttpRequest) -> HttpResponse:
    """Set an automation's mode."""
    permissions_check(request.user, ["support.manage_automations"])
    automation = automation_set(
        intent=request.POST.get("intent", ""),
        mode=request.POST.get("mode", ""),
        allow_vip=request.POST.get("allow_vip") == "1",
        audit=AuditContext.from_request(request),
    )
    messages.success(
        request, f"{automation.get_intent_display()}: {automation.get_mode_display()}."
    )
    return redirect("support:automations")


def _whole(value: str, name: str) -> int:
    if not value.strip().isdigit() or len(value.strip()) > 6:
        raise InvalidInput(f"{name} is a whole number.")
    return int(value)


@require_POST
def offer_update(request: HttpRequest) -> HttpResponse:
    """Set the retention offer of cancellation replies."""
    permissions_check(request.user, ["support.manage_automations"])
    automation = retention_offer_set(
        percent_off=_whole(request.POST.get("percent_off", ""), "percent_off"),
        months=_whole(request.POST.get("months", "1"), "months"),
        audit=AuditContext.from_request(request),
    )
    if automation.offer_percent_off:
        words = retention_offer_words(
            percent_off=automation.offer_percent_off, months=automation.offer_months
        )
        messages.success(request, f"Cancellation replies now offer {words}.")
    else:
        messages.success(request, "Cancellation replies make no offer.")
    return redirect("support:automations")


@require_POST
def reopen(request: HttpRequest, run_id: int) -> HttpResponse:
    """Reopen a ticket an automation solved."""
    permissions_check(request.user, ["support.change_ticket"])
    if run_id > 2**63 - 1:
        raise Http404("No such entry.")
    run = get_object_or_404(AutomationRun, pk=run_id)
    automation_run_reopen(run=run, audit=AuditContext.from_request(request))
    messages.success(request, f"Ticket #{run.ticket_id} reopened.")
    return redirect("support:automations")


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.split(",") if w.strip()]


@require_POST
def feature_save(request: HttpRequest) -> HttpResponse:
    """Add a feature to the availability catalog, or change one."""
    permissions_check(request.user, ["support.manage_automations"])
    feature = feature_access_save(
        key=request.POST.get("key", ""),
        name=request.POST.get("name", ""),
        aliases=_words(request.POST.get("aliases", "")),
        plans=_words(request.POST.get("plans", "")),
        where=request.POST.get("where", ""),
        audit=AuditContext.from_request(request),
    )
    messages.success(request, f"Feature “{feature.name}” saved.")
    return redirect("support:automations")


@require_POST
def feature_delete(request: HttpRequest, key: str) -> HttpResponse:
    """Take a feature out of the catalog."""
    permissions_check(request.user, ["support.manage_automations"])
    feature = FeatureAccess.objects.filter(key=key[:64]).first()
    if feature is None:
        raise Http404("No such feature.")
    feature_access_delete(feature=feature, audit=AuditContext.from_request(request))
    messages.success(request, f"“{feature.name}” is out of the catalog.")
    return redirect("support:automations")
