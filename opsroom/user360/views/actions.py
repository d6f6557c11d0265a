"""Quick actions on one person. Each checks its permission, shows what it will do and asks
for confirmation, then calls the service (which writes the audit entry)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opsroom.core.auth import request_staff
from opsroom.core.errors import DomainError, InvalidInput
from opsroom.core.money import money_format
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.selectors import template_list
from opsroom.people.models import ImpersonationGrant, Person
from opsroom.people.services.impersonation import (
    ImpersonationRefused,
    impersonation_check,
    impersonation_revoke,
    impersonation_start,
    person_staff_reason,
)
from opsroom.people.snapshot import person_snapshot_get
from opsroom.revenue.selectors import plan_get, plan_list
from opsroom.revenue.stripe_api import stripe_client
from opsroom.user360.forms import (
    CompActionForm,
    EmailActionForm,
    ImpersonateForm,
    NoteActionForm,
    TagActionForm,
    TicketActionForm,
)
from opsroom.user360.labels import band_label, plan_label, subscription_status_label
from opsroom.user360.selectors.insights import insights_for_person
from opsroom.user360.services.actions import (
    ACTION_LABELS,
    ACTION_PERMISSIONS,
    email_draft,
    person_comp_grant,
    person_email,
    person_note,
    person_tag,
    person_ticket,
)


def _ticket_context(person: Person) -> str:
    snapshot = person_snapshot_get(person=person)
    billing, health, activity = snapshot.billing, snapshot.health, snapshot.activity
    plan, status = plan_label(billing), subscription_status_label(billing.status)
    mrr = money_format(billing.mrr, billing.currency)
    lines = [
        "",
        "",
        "--- Context from Opsroom (User 360) ---",
        f"User: {person.display_name} <{person.email}> (id {person.external_id})",
        f"Plan: {plan} · {status} · MRR {mrr}"
        + (f" · next charge {billing.next_charge_at:%Y-%m-%d}" if billing.next_charge_at else ""),
        f"Health: {health.score}/100 ({band_label(health.band)})",
        f"Last login: {activity.last_login or 'never'} · "
        f"errors in 7 days: {snapshot.errors.count_7d}",
        f"Tickets: {snapshot.support.open} open of {snapshot.support.total}",
    ]
    lines += [f"Insight: {insight.title}" for insight in insights_for_person(snapshot=snapshot)[:3]]
    return "\n".join(lines)


def _form(action: str, data: Any, person: Person, initial: dict[str, Any]) -> forms.Form:
    if action == "email":
        templates = [(t.key, t.name) for t in template_list()]
        return EmailActionForm(data, templates=templates, initial=initial)
    if action == "comp":
        plans = [(plan.pk, f"{plan.name} ({plan.code})") for plan in plan_list()]
        return CompActionForm(data, plans=plans, initial=initial)
    if action == "note":
        return NoteActionForm(data, initial=initial)
    if action == "ticket":
        return TicketActionForm(data, initial=initial or {"body": _ticket_context(person)})
    if action == "tag":
        return TagActionForm(data, initial=initial)
    return ImpersonateForm(data, initial=initial)


def _summary(
    action: str, data: dict[str, Any], person: Person, audit: AuditContext
) -> list[tuple[str, str]]:
    """What the action will do, shown before it is confirmed; ValueError when it cannot."""
    if action == "email":
        draft = email_draft(
            person=person,
            template_key=data.get("template") or "",
            subject=data.get("subject") or "",
            body=data.get("body") or "",
        )
        return [
            ("To", person.email or "(no email address)"),
            ("Subject", draft.subject),
            ("Message", draft.body),
        ]
    if action == "comp":
        plan = plan_get(plan_id=data["plan"])
        if plan is None:
            raise InvalidInput("That plan does not exist.")
        where = (
            "applied in Stripe and recorded"
            if stripe_client()
            else "recorded in Opsroom (Stripe is not configured)"
        )
        return [
            ("Plan", plan.name),
            ("Free for", f"{data['months']} month(s)"),
            ("How", where),
            ("Reason", data["reason"]),
        ]
    if action == "note":
        return [("Note", data["body"]), ("Pinned", "yes" if data.get("is_pinned") else "no")]
    if action == "ticket":
        return [
            ("Subject", data["subject"]),
            ("Priority", data["priority"]),
            ("Description", data["body"]),
        ]
    if action == "tag":
        return [("Tags", ", ".join(data["tags"]))]
    impersonation_check(person=person, reason=data["reason"], minutes=data["minutes"], audit=audit)
    return [
        ("Sign in as", f"{person.display_name} ({person.external_id})"),
        ("For", f"{data['minutes']} minutes, then the token expires"),
        ("Reason", data["reason"]),
    ]


def _run(action: str, data: dict[str, Any], person: Person, request: HttpRequest) -> HttpResponse:
    audit = AuditContext.from_request(request)
    user = request_staff(request)
    if action == "email":
        draft = email_draft(
            person=person,
            template_key=data.get("template") or "",
            subject=data.get("subject") or "",
            body=data.get("body") or "",
        )
        message = person_email(person=person, draft=draft, audit=audit)
        if message.status == "failed":
            messages.error(request, f"The email could not be sent: {message.error}")
        else:
            messages.success(request, f"Email '{message.subject}' sent to {message.to_email}.")
    elif action == "comp":
        plan = plan_get(plan_id=data["plan"])
        if plan is None:
            raise InvalidInput("That plan does not exist.")
        subscription = person_comp_grant(
            person=person, plan=plan, months=data["months"], audit=audit, reason=data["reason"]
        )
        messages.success(
            request,
            f"{plan.name} is free for {data['months']} month(s) "
            f"({subscription.provider_subscription_id}).",
        )
    elif action == "note":
        person_note(
            person=person, body=data["body"], audit=audit, is_pinned=data.get("is_pinned", False)
        )
        messages.success(request, "Note added.")
    elif action == "ticket":
        ticket = person_ticket(
            person=person,
            subject=data["subject"],
            body=data["body"],
            priority=data["priority"],
            audit=audit,
        )
        messages.success(request, f"Ticket #{ticket.pk} created.")
    elif action == "tag":
        tags = person_tag(people=[person], tag_names=data["tags"], audit=audit)
        messages.success(request, f"Tagged with {', '.join(tag.name for tag in tags)}.")
    else:
        started = impersonation_start(
            person=person, staff=user, reason=data["reason"], minutes=data["minutes"], audit=audit
        )
        return render(
            request,
            "user360/impersonation_started.html",
            {"person": person, "started": started, "grant": started.grant},
        )
    return redirect("people:detail", person_id=person.pk)


@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, person_id: int, action: str) -> HttpResponse:
    """A quick action: its form, then what it will do (confirm), then done."""
    if action not in ACTION_LABELS:
        raise Http404("No such action.")
    person = get_object_or_404(Person, pk=person_id)
    label = ACTION_LABELS[action]
    if not request.user.has_perms(ACTION_PERMISSIONS[action]):
        raise PermissionDenied(
            f"You may not {label.lower()} (needs {', '.join(ACTION_PERMISSIONS[action])})."
        )
    initial = {"template": request.GET.get("template", "")} if action == "email" else {}
    form = _form(action, request.POST or None, person, initial)
    summary: list[tuple[str, str]] = []
    status = 200
    staff_reason = person_staff_reason(person) if action == "impersonate" else ""
    if request.method == "POST":
        if form.is_valid():
            try:
                summary = _summary(
                    action, form.cleaned_data, person, AuditContext.from_request(request)
                )
                if request.POST.get("confirm") == "yes":
                    return _run(action, form.cleaned_data, person, request)
            except ImpersonationRefused as exc:
                form.add_error(None, str(exc))
                status = 403 if staff_reason else 400
                summary = []
            except DomainError as exc:
                form.add_error(None, exc.message)
                summary = []
        if form.errors and status == 200:
            status = 400
    return render(
        request,
        "user360/action.html",
        {
            "person": person,
            "action": action,
            "label": label,
            "form": form,
            "summary": summary,
            "staff_reason": staff_reason,
        },
        status=status,
    )


@require_POST
def impersonation_revoke_view(request: HttpRequest, grant_id: int) -> HttpResponse:
    """Revoke an impersonation grant (anyone who may impersonate may revoke)."""
    grant = get_object_or_404(ImpersonationGrant.objects.select_related("person"), pk=grant_id)
    if not request.user.has_perm("people.impersonate_person"):
        raise PermissionDenied("You may not manage impersonation.")
    impersonation_revoke(grant=grant, audit=AuditContext.from_request(request))
    messages.success(request, "Impersonation revoked: the host app refuses its token from now on.")
    return redirect("people:detail", person_id=grant.person_id)
