"""The ticket page: the conversation, and beside it the copilot (analysis, the customer's
context from their snapshot, similar tickets, a suggested reply) and the quick actions."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.errors import DomainError, InvalidInput
from opsroom.core.models import User
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.people.snapshot import ErrorGroupFacts, PersonSnapshot, person_snapshot_get
from opsroom.support.ml.features import ticket_text
from opsroom.support.models import (
    AnalysisCorrection,
    KnownIssue,
    ReplySuggestion,
    Ticket,
    TicketAnalysis,
)
from opsroom.support.selectors.articles import articles_matching
from opsroom.support.selectors.automations import automation_decide
from opsroom.support.selectors.escalations import known_issues_for
from opsroom.support.selectors.queue import staff_assignable
from opsroom.support.selectors.session_trace import session_trace_for_person
from opsroom.support.selectors.similar import tickets_similar_to
from opsroom.support.selectors.sla import sla_settings_get, ticket_sla
from opsroom.support.services.analysis import analysis_correct, ticket_analyse
from opsroom.support.services.replies import (
    reply_suggestion_decide,
    reply_suggestion_draft,
    ticket_reply_send,
)
from opsroom.support.services.tickets import ticket_merge, ticket_reply, ticket_update

REPLY_PERMISSIONS = ("support.add_ticketmessage", "messaging.add_emailmessage")
TRIAGE_WAIT = timedelta(minutes=10)


MAX_ID = 2**63 - 1


def _ticket(ticket_id: int) -> Ticket:
    if ticket_id > MAX_ID:
        raise Http404("No such ticket.")
    return get_object_or_404(Ticket.objects.select_related("requester", "assignee"), pk=ticket_id)


def _errors_feature_first(snapshot: PersonSnapshot, fingerprint: str) -> list[ErrorGroupFacts]:
    groups = list(snapshot.errors.groups_7d)
    return sorted(groups, key=lambda g: g.fingerprint != fingerprint) if fingerprint else groups


def copilot_context(ticket: Ticket, user: User) -> dict[str, Any]:
    """What the copilot panel shows: analysis, context, similar tickets, the suggestion."""
    analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
    snapshot = person_snapshot_get(person=ticket.requester)
    fingerprint = str(analysis.signals.get("error_fingerprint", "")) if analysis else ""
    suggestion = (
        ReplySuggestion.objects.filter(ticket=ticket, outcome=ReplySuggestion.Outcome.PENDING)
        .order_by("-created_at", "-id")
        .first()
    )
    # Triage runs within seconds of arrival: a young ticket's panel polls until both the
    # analysis and the draft are in; an older one without them offers to analyse it now.
    drafted = ReplySuggestion.objects.filter(ticket=ticket).exists()
    young = ticket.created_at >= clock.now() - TRIAGE_WAIT
    errors = _errors_feature_first(snapshot, fingerprint)
    known = known_issues_for(
        fingerprints=sorted({g.fingerprint for g in (*errors, *snapshot.errors.groups_30d)})
    )
    return {
        "polling": young and (analysis is None or not drafted),
        "ticket": ticket,
        "analysis": analysis,
        "s": snapshot,
        "errors": errors,
        "known_issues": known,
        "known_list": sorted(known.values(), key=lambda k: k.status == "fixed"),
        "matching_error": fingerprint,
        "similar": tickets_similar_to(ticket=ticket) if analysis else None,
        "articles": articles_matching(
            text=ticket_text(subject=ticket.subject, body=ticket.body), limit=3
        ),
        "suggestion": suggestion,
        "automation": automation_decide(ticket=ticket, analysis=analysis, snapshot=snapshot)
        if analysis
        else None,
        "automation_run": ticket.automation_runs.order_by("-created_at").first(),
        "session_trace": session_trace_for_person(person=ticket.requester, now=clock.now()),
        "can_trace": user.has_perm("telemetry.view_apirequest"),
        "categories": Ticket.Category.choices,
        "severities": TicketAnalysis.Severity.choices,
        "can_change": user.has_perm("support.change_ticket"),
        "can_reply": user.has_perms(REPLY_PERMISSIONS),
    }


@require_GET
def detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One ticket: conversation, copilot, quick actions."""
    user = request_staff(request)
    ticket = _ticket(ticket_id)
    return render(request, "support/ticket.html", _page_context(ticket, user))


def _page_context(ticket: Ticket, user: User, **extra: Any) -> dict[str, Any]:
    copilot = copilot_context(ticket, user)
    # The errors to escalate or mark come from the snapshot the copilot already built.
    errors = copilot["s"].errors
    error_choices = {g.fingerprint: g for g in errors.groups_30d}
    error_choices.update({g.fingerprint: g for g in errors.groups_7d})
    settings = sla_settings_get()
    return {
        **copilot,
        "escalation": ticket.escalations.filter(status="open").select_related("created_by").first(),
        "error_choices": list(error_choices.values()),
        "known_statuses": KnownIssue.Status.choices,
        "can_escalate": user.has_perm("support.escalate_ticket"),
        "can_mark": user.has_perm("support.manage_known_issues"),
        "conversation": list(ticket.messages.select_related("author_user")),
        "sla": ticket_sla(ticket=ticket, settings=settings),
        "sla_policy": settings.policies.get(ticket.priority),
        "now": clock.now(),
        "statuses": Ticket.Status.choices,
        "priorities": Ticket.Priority.choices,
        "staff": staff_assignable(),
        **extra,
    }


@require_GET
def copilot(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The copilot panel alone (the page polls it until triage has run)."""
    user = request_staff(request)
    ticket = _ticket(ticket_id)
    return render(request, "support/partials/copilot.html", copilot_context(ticket, user))


@require_POST
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Send a reply by email (or add an internal note), optionally changing the status."""
    ticket = _ticket(ticket_id)
    internal = request.POST.get("internal") == "1"
    permissions_check(
        request.user, ["support.add_ticketmessage"] if internal else list(REPLY_PERMISSIONS)
    )
    body = request.POST.get("body", "")
    status = request.POST.get("status") or None
    audit = AuditContext.from_request(request)
    try:
        if internal:
            ticket_reply(
                ticket=ticket, body=body, author_kind="agent", audit=audit, is_internal=True
            )
        else:
            ticket_reply_send(ticket=ticket, body=body, audit=audit, status=status)
    except DomainError as exc:
        context = _page_context(
            ticket, request_staff(request), reply_error=exc.message, reply_body=body
        )
        return render(request, "support/ticket.html", context, status=exc.status)
    messages.success(request, "Note added." if internal else "Reply sent.")
    return redirect("support:ticket", ticket_id=ticket.pk)


@require_POST
def update(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Set the status, priority or assignee."""
    permissions_check(request.user, ["support.change_ticket"])
    ticket = _ticket(ticket_id)
    changes: dict[str, Any] = {}
    for name in ("status", "priority"):
        if request.POST.get(name):
            changes[name] = request.POST[name]
    if "assignee" in request.POST:
        changes["assignee"] = _assignee(request.POST["assignee"])
    if not changes:
        raise InvalidInput("Nothing to change: send a status, priority or assignee.")
    ticket_update(ticket=ticket, audit=AuditContext.from_request(request), **changes)
    messages.success(request, "Ticket updated.")
    return redirect("support:ticket", ticket_id=ticket.pk)


def _assignee(value: str) -> User | None:
    if value in ("", "none"):
        return None
    user = (
        User.objects.filter(pk=int(value), is_active=True, is_staff=True).first()
        if value.isdecimal() and len(value) < 19
        else None
    )
    if user is None:
        raise InvalidInput("Choose an active staff member to assign to.")
    return user


@require_POST
def correct(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Correct one field of the analysis (kept as a training label)."""
    permissions_check(request.user, ["support.change_ticket"])
    ticket = _ticket(ticket_id)
    analysis_correct(
        ticket=ticket,
        field=request.POST.get("field", ""),
        value=request.POST.get("value", ""),
        audit=AuditContext.from_request(request),
    )
    messages.success(request, f"{AnalysisCorrection.Field(request.POST['field']).label} corrected.")
    return redirect("support:ticket", ticket_id=ticket.pk)


@require_POST
def suggestion(request: HttpRequest, ticket_id: int, suggestion_id: int) -> HttpResponse:
    """Use (send, as is or edited) or reject the suggested reply."""
    ticket = _ticket(ticket_id)
    if suggestion_id > MAX_ID:
        raise Http404("No such suggestion.")
    found = get_object_or_404(ReplySuggestion, pk=suggestion_id, ticket=ticket)
    outcome = request.POST.get("outcome", "")
    permissions_check(
        request.user, list(REPLY_PERMISSIONS) if outcome == "use" else ["support.add_ticketmessage"]
    )
    body = request.POST.get("body", "")
    try:
        reply_suggestion_decide(
            suggestion=found,
            outcome=outcome,
            audit=AuditContext.from_request(request),
            body=body,
            status=request.POST.get("status") or None,
        )
    except DomainError as exc:
        context = _page_context(
            ticket, request_staff(request), reply_error=exc.message, reply_body=body
        )
        return render(request, "support/ticket.html", context, status=exc.status)
    messages.success(request, "Reply sent." if outcome == "use" else "Suggestion rejected.")
    return redirect("support:ticket", ticket_id=ticket.pk)


@require_POST
def analyse(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Analyse a ticket now (one that arrived before the copilot, or whose triage failed)."""
    permissions_check(request.user, ["support.change_ticket"])
    ticket = _ticket(ticket_id)
    ticket_analyse(ticket=ticket)
    if not ReplySuggestion.objects.filter(ticket=ticket).exists():
        reply_suggestion_draft(ticket=ticket, agent_name=request_staff(request).get_full_name())
    return redirect("support:ticket", ticket_id=ticket.pk)


@require_POST
def merge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Merge a possible duplicate into this ticket."""
    permissions_check(request.user, ["support.change_ticket"])
    ticket = _ticket(ticket_id)
    number = request.POST.get("duplicate", "")
    if not number.isdecimal() or len(number) > 18:
        raise InvalidInput("Name the duplicate ticket by its number.")
    ticket_merge(
        source=_ticket(int(number)), target=ticket, audit=AuditContext.from_request(request)
    )
    messages.success(request, f"#{number} merged into this ticket.")
    return redirect("support:ticket", ticket_id=ticket.pk)


@require_POST
def redraft(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Draft a new suggested reply."""
    permissions_check(request.user, ["support.add_ticketmessage"])
    ticket = _ticket(ticket_id)
    reply_suggestion_draft(ticket=ticket, agent_name=request_staff(request).get_full_name())
    return redirect("support:ticket", ticket_id=ticket.pk)
