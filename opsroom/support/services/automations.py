"""Auto-resolution: setting each automation's mode, applying it to a new ticket (the action
through the host app's signed webhook, the reply by email, the ticket solved, a review entry),
and reopening what it did."""

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.outbox.host_webhook import host_webhook_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.models import Automation, AutomationRun, Ticket, TicketAnalysis
from opsroom.support.selectors.automations import automation_decide
from opsroom.support.selectors.replies import customer_variables, template_fill, template_for
from opsroom.support.services.replies import ticket_reply_send
from opsroom.support.services.tickets import ticket_update


@transaction.atomic
def automation_set(*, intent: str, mode: str, allow_vip: bool, audit: AuditContext) -> Automation:
    """Set an automation's mode (off, suggest, automatic) and whether it may serve VIPs."""
    if intent not in Automation.Intent.values:
        raise InvalidInput(
            f"intent '{intent[:40]}' is unknown; one of {', '.join(Automation.Intent.values)}."
        )
    if mode not in Automation.Mode.values:
        raise InvalidInput(
            f"mode '{mode[:40]}' is unknown; one of {', '.join(Automation.Mode.values)}."
        )
    automation, _created = Automation.objects.select_for_update().get_or_create(intent=intent)
    before = {"mode": automation.mode, "allow_vip": automation.allow_vip}
    automation.mode, automation.allow_vip = mode, allow_vip
    automation.updated_by, automation.updated_at = audit.actor, clock.now()
    automation.save()
    audit_record(
        audit,
        action="support.automation_set",
        target=automation,
        params={"from": before, "to": {"mode": mode, "allow_vip": allow_vip}},
    )
    return automation


def _reply_body(ticket: Ticket, category: str) -> str:
    snapshot = person_snapshot_get(person=ticket.requester)
    variables = customer_variables(snapshot=snapshot, ticket=ticket, agent_name="")
    template = template_for(category=category)
    middle = template.body.strip() if template is not None else ""
    text = (
        f"Hi {{first_name}},\n\n{middle}\n\nIf this was not what you asked for, just reply "
        "and a person will pick it up.\n\nBest,\n{agent_name}"
    )
    return template_fill(text, variables)


def automation_apply(*, ticket: Ticket, analysis: TicketAnalysis) -> AutomationRun | None:
    """Decide on a new ticket; in automatic mode, resolve an eligible one end to end. Every
    decision of a mode other than off is kept (the review list); safe to run twice."""
    if AutomationRun.objects.filter(ticket=ticket).exists():
        return None
    decision = automation_decide(
        ticket=ticket, analysis=analysis, snapshot=person_snapshot_get(person=ticket.requester)
    )
    if decision.intent is None or decision.mode == Automation.Mode.OFF:
        return None
    if not decision.acts:
        return AutomationRun.objects.create(
            ticket=ticket,
            intent=decision.intent,
            mode=decision.mode,
            outcome=AutomationRun.Outcome.SUGGESTED
            if decision.eligible
            else AutomationRun.Outcome.REFUSED,
            reasons=decision.reasons,
        )
    audit = AuditContext.system(f"automation {decision.intent}")
    person = ticket.requester
    body = _reply_body(ticket, analysis.category)
    with transaction.atomic():
        host_webhook_enqueue(
            event_type=decision.event,
            data={"user_id": person.external_id, "email": person.email, "ticket": ticket.pk},
            idempotency_key=f"automation:{ticket.pk}:{decision.intent}",
            audit=audit,
            target=ticket,
        )
        message = ticket_reply_send(
            ticket=ticket, body=body, audit=audit, status=Ticket.Status.SOLVED
        )
        run = AutomationRun.objects.create(
            ticket=ticket,
            intent=decision.intent,
            mode=decision.mode,
            outcome=AutomationRun.Outcome.RESOLVED,
            action=decision.event,
            message=message,
        )
        audit_record(
            audit,
            action="ticket.auto_resolve",
            target=ticket,
            params={"intent": decision.intent, "event": decision.event, "run": run.pk},
        )
    return run


@transaction.atomic
def automation_run_reopen(*, run: AutomationRun, audit: AuditContext) -> AutomationRun:
    """Reopen a ticket an automation solved (the review list's one click)."""
    locked = AutomationRun.objects.select_for_update().select_related("ticket").get(pk=run.pk)
    if locked.outcome != AutomationRun.Outcome.RESOLVED:
        raise Conflict("Only a ticket the automation resolved can be reopened from here.")
    if locked.reopened_at is not None:
        raise Conflict("This ticket was already reopened.")
    ticket_update(ticket=locked.ticket, audit=audit, status=Ticket.Status.OPEN)
    locked.reopened_at, locked.reopened_by = clock.now(), audit.actor
    locked.save(update_fields=["reopened_at", "reopened_by"])
    return locked
