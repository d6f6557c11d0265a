"""Asking for a rating when a ticket is solved, and recording how the rated ticket had been
handled (auto-resolved, AI-assisted or manual), so CSAT can be compared between them."""

import logging

from opsroom.core import clock
from opsroom.core.errors import Conflict
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.services import email_send
from opsroom.support.csat import csat_link
from opsroom.support.models import AutomationRun, ReplySuggestion, Ticket

logger = logging.getLogger(__name__)

AUTO = "auto"
AI_ASSISTED = "ai_assisted"
MANUAL = "manual"
HANDLING_LABELS = {AUTO: "Auto-resolved", AI_ASSISTED: "AI-assisted", MANUAL: "Manual"}


def ticket_handling(*, ticket: Ticket) -> str:
    """auto when an automation resolved it, ai_assisted when an agent sent a copilot draft
    (as is or edited), else manual."""
    if AutomationRun.objects.filter(ticket=ticket, outcome=AutomationRun.Outcome.RESOLVED).exists():
        return AUTO
    if ReplySuggestion.objects.filter(
        ticket=ticket,
        outcome__in=(ReplySuggestion.Outcome.USED, ReplySuggestion.Outcome.EDITED),
    ).exists():
        return AI_ASSISTED
    return MANUAL


def csat_request_mark(*, ticket: Ticket) -> None:
    """Note that the customer has been asked (the solving reply carried the link)."""
    if ticket.csat_requested_at is None:
        ticket.csat_requested_at = clock.now()
        ticket.save(update_fields=["csat_requested_at"])


def csat_request_after_solve(*, ticket: Ticket, audit: AuditContext) -> bool:
    """When a ticket was solved without a reply carrying the rating link, email the customer
    the link once. Never for a rated ticket or one already asked; a customer who cannot be
    emailed (no address, deleted) is skipped, not an error. Returns whether it was sent."""
    if (
        ticket.status != Ticket.Status.SOLVED
        or ticket.satisfaction_rating is not None
        or ticket.csat_requested_at is not None
    ):
        return False
    body = (
        f"Your request #{ticket.pk} “{ticket.subject}” has been solved.\n\n"
        f"How did we do? Rate our help from 1 to 5 (one click, no sign-in):\n"
        f"{csat_link(ticket_id=ticket.pk)}\n\n"
        "If anything is still not right, just reply to this email and the ticket reopens."
    )
    try:
        email_send(
            person=ticket.requester,
            subject=f"[#{ticket.pk}] How did we do?",
            body_text=body,
            audit=audit,
        )
    except Conflict as exc:
        logger.info("no rating request for ticket #%s: %s", ticket.pk, exc)
        return False
    csat_request_mark(ticket=ticket)
    return True
