"""Auto-resolution: each automation's mode, the classifier's threshold figures, and the
review list of the last 24 hours (one click reopens)."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Automation, AutomationRun
from opsroom.support.selectors.automations import automation_threshold_figures
from opsroom.support.services.automations import automation_run_reopen, automation_set

REVIEW_WINDOW = timedelta(hours=24)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The automations, their figures and what they did in the last 24 hours."""
    user = request_staff(request)
    since = clock.now() - REVIEW_WINDOW
    runs = (
        AutomationRun.objects.filter(created_at__gte=since)
        .select_related("ticket", "ticket__requester")
        .order_by("-created_at", "-id")[:200]
    )
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
