"""Replies to customers: sending one by email (threaded on the ticket), and drafting and
deciding on the copilot's suggested replies."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.services import email_send
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.csat import csat_link
from opsroom.support.models import ReplySuggestion, ResponseTemplate, Ticket, TicketMessage
from opsroom.support.selectors.replies import reply_draft_build
from opsroom.support.selectors.similar import tickets_similar_to
from opsroom.support.selectors.templates import TEMPLATE_VARIABLES, VARIABLE
from opsroom.support.services.csat import csat_request_mark
from opsroom.support.services.tickets import ticket_reply

MAX_REPLY_CHARS = 20000


@transaction.atomic
def ticket_reply_send(
    *, ticket: Ticket, body: str, audit: AuditContext, status: str | None = None
) -> TicketMessage:
    """Reply to the customer by email and keep the reply on the ticket; the email's Message-ID
    is kept on the message, so the customer's answer lands on this ticket. The email leaves
    through the outbox after commit; a solving reply carries the signed rating link."""
    body = body.strip()
    if not body:
        raise InvalidInput("A reply cannot be empty.")
    if len(body) > MAX_REPLY_CHARS:
        raise InvalidInput(f"A reply is at most {MAX_REPLY_CHARS} characters.")
    if status is not None and status not in Ticket.Status.values:
        raise InvalidInput(
            f"status '{status[:40]}' is unknown; one of {', '.join(Ticket.Status.values)}."
        )
    email_body = body
    if status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        email_body += f"\n\n--\nHow did we do? Rate this answer: {csat_link(ticket_id=ticket.pk)}"
        csat_request_mark(ticket=ticket)  # the link is in this reply: no separate email
    email = email_send(
        person=ticket.requester,
        subject=f"Re: [#{ticket.pk}] {ticket.subject}",
        body_text=email_body,
        audit=audit,
    )
    return ticket_reply(
        ticket=ticket,
        body=body,
        author_kind=TicketMessage.Author.AGENT,
        audit=audit,
        status=status,
        channel_message_id=email.provider_message_id or "",
    )


def reply_suggestion_draft(*, ticket: Ticket, agent_name: str = "") -> ReplySuggestion:
    """Draft a reply for a ticket from similar resolved tickets and templates, and keep it."""
    snapshot = person_snapshot_get(person=ticket.requester)
    similar = tickets_similar_to(ticket=ticket)
    analysis = getattr(ticket, "analysis", None)
    draft = reply_draft_build(
        ticket=ticket,
        analysis=analysis,
        snapshot=snapshot,
        similar=similar.resolved,
        agent_name=agent_name,
    )
    return ReplySuggestion.objects.create(
        ticket=ticket, body=draft.body, sources=draft.sources, method=draft.method
    )


@transaction.atomic
def reply_suggestion_decide(
    *,
    suggestion: ReplySuggestion,
    outcome: str,
    audit: AuditContext,
    body: str = "",
    status: str | None = None,
) -> TicketMessage | None:
    """Use, edit or reject a suggested reply. Used or edited, the reply is sent (with the
    edited text, if any); the choice is recorded either way."""
    locked = ReplySuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.outcome != ReplySuggestion.Outcome.PENDING:
        raise Conflict(f"This suggestion was already {locked.get_outcome_display().lower()}.")
    if outcome not in ("use", "reject"):
        raise InvalidInput("outcome is 'use' (send it, edited or not) or 'reject'.")
    message = None
    if outcome == "use":
        text = (body or locked.body).strip()
        edited = bool(body) and text != locked.body.strip()
        message = ticket_reply_send(ticket=locked.ticket, body=text, audit=audit, status=status)
        locked.outcome = ReplySuggestion.Outcome.EDITED if edited else ReplySuggestion.Outcome.USED
        locked.sent_message = message
        used_templates = [
            s["id"] for s in locked.sources if s.get("kind") == "template" and s.get("used")
        ]
        ResponseTemplate.objects.filter(pk__in=used_templates).update(
            usage_count=F("usage_count") + 1
        )
    else:
        locked.outcome = ReplySuggestion.Outcome.REJECTED
    locked.decided_by = audit.actor
    locked.decided_at = clock.now()
    locked.save(update_fields=["outcome", "sent_message", "decided_by", "decided_at"])
    audit_record(
        audit,
        action="ticket.suggestion_decide",
        target=locked.ticket,
        params={"suggestion_id": locked.pk, "outcome": locked.outcome},
    )
    suggestion.outcome = locked.outcome
    return message


_TEMPLATE_FIELDS = {"key", "name", "category", "body", "is_active"}


def _template_clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _TEMPLATE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown template fields: {', '.join(sorted(unknown))}.")
    if "name" in values:
        values["name"] = str(values["name"]).strip()[:200]
        if not values["name"]:
            raise InvalidInput("A template needs a name.")
    if "key" in values:
        values["key"] = slugify(str(values["key"]))[:64]
        if not values["key"]:
            raise InvalidInput("key must hold letters or digits.")
    if "category" in values and values["category"] not in [*Ticket.Category.values, ""]:
        raise InvalidInput(f"category '{str(values['category'])[:40]}' is unknown.")
    if "body" in values:
        body = str(values["body"]).strip()
        if not body:
            raise InvalidInput("A template needs a body.")
        if len(body) > MAX_REPLY_CHARS:
            raise InvalidInput(f"A template is at most {MAX_REPLY_CHARS} characters.")
        unknown_variables = sorted(set(VARIABLE.findall(body)) - set(TEMPLATE_VARIABLES))
        if unknown_variables:
            raise InvalidInput(
                f"Unknown variable {{{unknown_variables[0]}}}; the variables are "
                + ", ".join(f"{{{v}}}" for v in TEMPLATE_VARIABLES)
                + "."
            )
        values["body"] = body
    return values


@transaction.atomic
def response_template_save(
    *, audit: AuditContext, template: ResponseTemplate | None = None, **values: Any
) -> ResponseTemplate:
    """Create a response template, or change one (only the fields given); its {variables}
    must be ones the copilot fills."""
    values = _template_clean(dict(values))
    creating = template is None
    if template is None:
        if "name" not in values or "body" not in values:
            raise InvalidInput("A new template needs a name and a body.")
        values.setdefault("key", slugify(values["name"])[:64] or "template")
        template = ResponseTemplate(**values)
    else:
        for name, value in values.items():
            setattr(template, name, value)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        raise Conflict(f"Another template already has the key '{template.key}'.") from exc
    audit_record(
        audit,
        action="support.template_create" if creating else "support.template_update",
        target=template,
        params={"fields": sorted(values), "active": template.is_active},
    )
    return template
