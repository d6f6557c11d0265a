"""Known issues (an error fingerprint marked as a known bug, with a workaround for agents) and
escalations to engineering (a ticket handed over with its error context, emailed to the
engineering addresses through the outbox)."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.support.models import Escalation, KnownIssue, Ticket, TicketMessage
from opsroom.support.selectors.escalations import escalation_context
from opsroom.support.services.tickets import ticket_reply

ESCALATION_EMAIL_KIND = "email.support_escalation"
MAX_NOTE_CHARS = 5000


def _text(value: Any, name: str, limit: int, *, required: bool) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise InvalidInput(f"{name} cannot hold NUL characters.")
    if required and not text:
        raise InvalidInput(f"{name} is required.")
    if len(text) > limit:
        raise InvalidInput(f"{name} is at most {limit} characters.")
    return text


def _link(value: Any) -> str:
    link = _text(value, "link", 500, required=False)
    if link:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput("link is an http(s) address, e.g. your issue tracker's.")
    return link


@transaction.atomic
def known_issue_mark(
    *,
    fingerprint: str,
    title: str,
    audit: AuditContext,
    workaround: str = "",
    link: str = "",
    status: str = KnownIssue.Status.INVESTIGATING,
) -> KnownIssue:
    """Mark an error fingerprint as a known issue, or change the one marked."""
    fingerprint = _text(fingerprint, "fingerprint", 200, required=True)
    values = {
        "title": _text(title, "title", 200, required=True),
        "workaround": _text(workaround, "workaround", MAX_NOTE_CHARS, required=False),
        "link": _link(link),
        "status": status,
    }
    if status not in KnownIssue.Status.values:
        raise InvalidInput(f"status is one of {', '.join(KnownIssue.Status.values)}.")
    now = clock.now()
    issue = KnownIssue.objects.select_for_update().filter(fingerprint=fingerprint).first()
    creating = issue is None
    if issue is None:
        issue = KnownIssue(fingerprint=fingerprint, created_by=audit.actor, created_at=now)
    was_fixed = issue.status == KnownIssue.Status.FIXED
    for name, value in values.items():
        setattr(issue, name, value)
    issue.updated_at = now
    if status == KnownIssue.Status.FIXED and not was_fixed:
        issue.fixed_at = now
    elif status != KnownIssue.Status.FIXED:
        issue.fixed_at = None
    issue.save()
    audit_record(
        audit,
        action="support.known_issue_mark" if creating else "support.known_issue_update",
        target=issue,
        params={"fingerprint": fingerprint, "status": status},
    )
    return issue


def escalation_recipients() -> list[str]:
    """Who engineering is: OPSROOM_ENGINEERING_EMAILS."""
    return list(settings.OPSROOM_ENGINEERING_EMAILS)


@transaction.atomic
def ticket_escalate(
    *, ticket: Ticket, note: str, audit: AuditContext, fingerprint: str = ""
) -> Escalation:
    """Hand a ticket to engineering with its error context: recorded, noted on the ticket
    (internal), and emailed to the engineering addresses after commit. One open escalation
    a ticket."""
    note = _text(note, "note", MAX_NOTE_CHARS, required=True)
    fingerprint = _text(fingerprint, "fingerprint", 200, required=False)
    if Escalation.objects.filter(ticket=ticket, status=Escalation.Status.OPEN).exists():
        raise Conflict(f"Ticket #{ticket.pk} is already escalated; resolve that one first.")
    context = escalation_context(ticket=ticket, fingerprint=fingerprint)
    if fingerprint and context.get("error") is None:
        raise InvalidInput("That error is not among this person's errors.")
    recipients = escalation_recipients()
    escalation = Escalation.objects.create(
        ticket=ticket,
        fingerprint=fingerprint or str((context.get("error") or {}).get("fingerprint", "")),
        note=note,
        context=context,
        notified=recipients,
        created_by=audit.actor,
        created_at=clock.now(),
    )
    ticket_reply(
        ticket=ticket,
        body=f"Escalated to engineering: {note}",
        author_kind=TicketMessage.Author.AGENT,
        audit=audit,
        is_internal=True,
    )
    if recipients:
        outbox_enqueue(
            kind=ESCALATION_EMAIL_KIND,
            payload={"escalation_id": escalation.pk, "to": recipients},
            idempotency_key=f"{ESCALATION_EMAIL_KIND}:{escalation.pk}",
            audit=audit,
            target=escalation,
        )
    audit_record(
        audit,
        action="support.ticket_escalate",
        target=ticket,
        params={"escalation_id": escalation.pk, "fingerprint": escalation.fingerprint},
    )
    return escalation


@transaction.atomic
def escalation_resolve(*, escalation: Escalation, audit: AuditContext) -> Escalation:
    """Close an escalation (engineering answered)."""
    if escalation.status == Escalation.Status.RESOLVED:
        raise Conflict("This escalation is already resolved.")
    escalation.status = Escalation.Status.RESOLVED
    escalation.resolved_at = clock.now()
    escalation.save(update_fields=["status", "resolved_at"])
    audit_record(audit, action="support.escalation_resolve", target=escalation.ticket)
    return escalation


def escalation_email_text(escalation: Escalation) -> tuple[str, str]:
    """The subject and body engineering gets."""
    ticket = escalation.ticket
    context = escalation.context
    error = context.get("error") or {}
    lines = [
        f"Support escalated ticket #{ticket.pk}: {ticket.subject}",
        "",
        escalation.note,
        "",
        f"Customer: {context.get('person', {}).get('email', '')} "
        f"(plan {context.get('plan') or 'none'})",
    ]
    if error:
        lines += [
            "",
            f"Error: {error.get('title', '')}",
            f"  fingerprint {error.get('fingerprint', '')}, endpoint {error.get('endpoint', '')}",
            f"  {error.get('count_7d', 0)} times for this person in 7 days; "
            f"{error.get('people', 0)} people, {error.get('occurrences', 0)} occurrences in all",
            f"  first seen {error.get('first_seen', '')}, last seen {error.get('last_seen', '')}, "
            f"release {error.get('release', '') or 'unknown'}",
        ]
    for request in context.get("requests", [])[:5]:
        lines.append(
            f"  {request.get('method', '')} {request.get('path', '')} -> "
            f"{request.get('status', '')} at {request.get('occurred_at', '')}"
        )
    if context.get("device"):
        lines += ["", f"Device: {context['device']}"]
    base = settings.SITE_URL.rstrip("/")
    lines += ["", f"Ticket: {base}/support/tickets/{ticket.pk}/"]
    if error.get("fingerprint"):
        lines.append(f"Error group: {base}/analytics/errors/{error['fingerprint']}/")
    return f"[Opsroom] Escalation: #{ticket.pk} {ticket.subject}"[:200], "\n".join(lines)


def escalation_email_perform(entry: OutboxEntry) -> Outcome:
    """Email an escalation to engineering."""
    escalation = (
        Escalation.objects.select_related("ticket")
        .filter(pk=entry.payload.get("escalation_id"))
        .first()
    )
    if escalation is None:
        raise OutboxPermanentError("The escalation no longer exists.")
    subject, body = escalation_email_text(escalation)
    sent = send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=list(entry.payload.get("to", [])),
    )
    return {"sent": sent}


ESCALATION_EMAIL = Performer(
    kind=ESCALATION_EMAIL_KIND,
    label="Email a support escalation to engineering",
    perform=escalation_email_perform,
)
