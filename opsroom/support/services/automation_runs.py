"""The end of an automation's run: resolved (reply sent, ticket solved) or failed (left open
for a person with an internal note saying what failed). Both audited."""

from typing import Any

from django.db import transaction

from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.models import AutomationRun, Ticket, TicketMessage
from opsroom.support.selectors.replies import customer_variables, template_fill
from opsroom.support.services.replies import ticket_reply_send
from opsroom.support.services.tickets import ticket_reply


def automation_reply_text(*, ticket: Ticket, middle: str) -> str:
    """An automation's reply: greeting, the answer, and how to reach a person."""
    snapshot = person_snapshot_get(person=ticket.requester)
    variables = customer_variables(snapshot=snapshot, ticket=ticket, agent_name="")
    text = (
        f"Hi {{first_name}},\n\n{middle.strip()}\n\nIf this was not what you asked for, just "
        "reply and a person will pick it up.\n\nBest,\n{agent_name}"
    )
    return template_fill(text, variables)


@transaction.atomic
def automation_resolve(
    *, run: AutomationRun, body: str, audit: AuditContext, details: dict[str, Any] | None = None
) -> AutomationRun:
    """Send the automation's reply, solve the ticket and mark the run resolved."""
    message = ticket_reply_send(
        ticket=run.ticket, body=body, audit=audit, status=Ticket.Status.SOLVED
    )
    run.outcome, run.message = AutomationRun.Outcome.RESOLVED, message
    run.details = {**run.details, **(details or {})}
    run.save(update_fields=["outcome", "message", "details"])
    audit_record(
        audit,
        action="ticket.auto_resolve",
        target=run.ticket,
        params={"intent": run.intent, "event": run.action, "via": run.via, "run": run.pk},
    )
    return run


@transaction.atomic
def automation_fail(*, run: AutomationRun, error: str, audit: AuditContext) -> AutomationRun:
    """Record that the automation's action failed: the ticket stays open for a person, with an
    internal note saying what failed; nothing is sent to the customer."""
    run.outcome = AutomationRun.Outcome.FAILED
    run.reasons = [*run.reasons, error[:500]]
    run.details = {**run.details, "error": error[:2000]}
    run.save(update_fields=["outcome", "reasons", "details"])
    ticket = run.ticket
    ticket_reply(
        ticket=ticket,
        body=f"The {run.get_intent_display().lower()} automation could not finish, so it "
        f"sent nothing to the customer and left this ticket to a person. What failed: "
        f"{error[:1500]}",
        author_kind=TicketMessage.Author.SYSTEM,
        is_internal=True,
        audit=audit,
        status=Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else None,
    )
    audit_record(
        audit,
        action="ticket.auto_resolve_failed",
        target=ticket,
        params={"intent": run.intent, "via": run.via, "run": run.pk, "error": error[:500]},
    )
    return run
