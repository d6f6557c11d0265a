"""Support and engineering: escalating a ticket with its error context, marking an error as a
known issue, and the page listing open escalations and known issues."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core.auth import request_staff
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Escalation, KnownIssue
from opsroom.support.selectors.escalations import escalations_open
from opsroom.support.services.escalations import (
    escalation_recipients,
    escalation_resolve,
    known_issue_mark,
    ticket_escalate,
)
from opsroom.support.views.ticket import _ticket

MAX_ID = 2**63 - 1


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/support/") and "//" not in target else fallback


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Open escalations and the known issues."""
    user = request_staff(request)
    return render(
        request,
        "support/engineering.html",
        {
            "escalations": escalations_open(),
            "resolved": Escalation.objects.filter(status=Escalation.Status.RESOLVED)
            .select_related("ticket")
            .order_by("-resolved_at", "-id")[:20],
            "known_issues": KnownIssue.objects.all()[:300],
            "statuses": KnownIssue.Status.choices,
            "recipients": escalation_recipients(),
            "can_escalate": user.has_perm("support.escalate_ticket"),
            "can_mark": user.has_perm("support.manage_known_issues"),
        },
    )


@require_POST
def escalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Escalate a ticket to engineering."""
    permissions_check(request.user, ["support.escalate_ticket"])
    ticket = _ticket(ticket_id)
    escalation = ticket_escalate(
        ticket=ticket,
        note=request.POST.get("note", ""),
        fingerprint=request.POST.get("fingerprint", ""),
        audit=AuditContext.from_request(request),
    )
    sent_to = ", ".join(escalation.notified)
    messages.success(
        request,
        f"Escalated to engineering ({sent_to})."
        if sent_to
        else "Escalation recorded; no engineering address is set (OPSROOM_ENGINEERING_EMAILS), "
        "so nobody was emailed.",
    )
    return redirect("support:ticket", ticket_id=ticket.pk)


@require_POST
def resolve(request: HttpRequest, escalation_id: int) -> HttpResponse:
    """Close an escalation."""
    permissions_check(request.user, ["support.escalate_ticket"])
    escalation = (
        Escalation.objects.select_related("ticket").filter(pk=escalation_id).first()
        if 0 < escalation_id <= MAX_ID
        else None
    )
    if escalation is None:
        raise Http404("No such escalation.")
    escalation_resolve(escalation=escalation, audit=AuditContext.from_request(request))
    messages.success(request, f"The escalation of #{escalation.ticket_id} is resolved.")
    return redirect(_back(request, "/support/engineering/"))


@require_POST
def known_issue(request: HttpRequest) -> HttpResponse:
    """Mark an error as a known issue, or change one."""
    permissions_check(request.user, ["support.manage_known_issues"])
    issue = known_issue_mark(
        fingerprint=request.POST.get("fingerprint", ""),
        title=request.POST.get("title", ""),
        workaround=request.POST.get("workaround", ""),
        link=request.POST.get("link", ""),
        status=request.POST.get("status", KnownIssue.Status.INVESTIGATING),
        audit=AuditContext.from_request(request),
    )
    messages.success(request, f"Known issue “{issue.title}”: {issue.get_status_display()}.")
    return redirect(_back(request, "/support/engineering/"))
