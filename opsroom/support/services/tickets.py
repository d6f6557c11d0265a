"""Writes of tickets and their messages.

`first_response_at` and `resolved_at` are derived here and nowhere else: the first public
agent reply sets the first, a move to solved/closed sets the second, a reopening clears it.
Every write ends by recomputing the ticket's stored SLA (services/sla.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Min

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.ml.services import model_artifact_save
from opsroom.core.models import ModelArtifact
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import Row, UpsertResult, rows_upsert
from opsroom.people.models import Person
from opsroom.support.ml.training import triage_training_run
from opsroom.support.models import Ticket, TicketMessage
from opsroom.support.selectors import tickets_labelled_for_training
from opsroom.support.services.csat import csat_request_after_solve, ticket_handling
from opsroom.support.services.sla import tickets_sla_refresh, tickets_sla_refresh_by_id

_RESOLVED = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


def _ticket_prepare(current: Ticket | None, row: Row) -> Row:
    values = dict(row)
    status = values.get("status", current.status if current else Ticket.Status.NEW)
    resolved_at = current.resolved_at if current else None
    if status in _RESOLVED:
        values.setdefault("resolved_at", resolved_at or values.get("updated_at") or clock.now())
    else:
        values["resolved_at"] = None
    return values


def tickets_triage_queue(ticket_ids: Sequence[int]) -> None:
    """Queue the triage of new tickets, once the transaction that created them commits."""
    # The task module imports these services; importing it here at load time would be a cycle.
    from opsroom.support.tasks import TRIAGE_BATCH, tickets_triage

    ids = list(ticket_ids)

    def enqueue() -> None:
        for start in range(0, len(ids), TRIAGE_BATCH):
            tickets_triage.enqueue(ticket_ids=ids[start : start + TRIAGE_BATCH])

    if ids:
        transaction.on_commit(enqueue)


def ticket_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[Ticket]:
    """Create or update tickets by external id (rows name the requester by `requester_id`);
    the new open ones are queued for triage (history arrives solved, and needs none)."""
    result = rows_upsert(Ticket, key_field="external_id", rows=rows, prepare=_ticket_prepare)
    tickets_sla_refresh(tickets=result.created + result.updated)
    tickets_triage_queue([ticket.pk for ticket in result.created if ticket.is_open])
    return result


@transaction.atomic
def ticket_create(
    *,
    requester: Person,
    subject: str,
    body: str,
    channel: str,
    priority: str = Ticket.Priority.NORMAL,
    category: str = "",
    audit: AuditContext | None = None,
) -> Ticket:
    """Open a ticket."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise InvalidInput("A ticket needs a subject and a body.")
    ticket = Ticket.objects.create(
        requester=requester,
        subject=subject[:300],
        body=body,
        channel=channel,
        priority=priority,
        category=category,
    )
    tickets_sla_refresh(tickets=[ticket])
    if audit is not None:
        audit_record(audit, action="ticket.create", target=ticket, params={"channel": channel})
    tickets_triage_queue([ticket.pk])
    return ticket


@transaction.atomic
def ticket_message_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[TicketMessage]:
    """Create or update ticket messages by external id, then advance first responses."""
    result = rows_upsert(TicketMessage, key_field="external_id", rows=rows)
    ticket_ids = {m.ticket_id for m in result.created + result.updated}
    _first_response_refresh(ticket_ids)
    tickets_sla_refresh_by_id(ticket_ids=ticket_ids)
    return result


def _first_response_refresh(ticket_ids: set[int]) -> None:
    if not ticket_ids:
        return
    firsts = (
        TicketMessage.objects.filter(
            ticket_id__in=ticket_ids, author_kind=TicketMessage.Author.AGENT, is_internal=False
        )
        .values("ticket_id")
        .annotate(first=Min("created_at"))
    )
    first_by_ticket = {row["ticket_id"]: row["first"] for row in firsts}
    tickets = list(Ticket.objects.filter(pk__in=first_by_ticket))
    for ticket in tickets:
        ticket.first_response_at = first_by_ticket[ticket.pk]
    Ticket.objects.bulk_update(tickets, ["first_response_at"], batch_size=500)


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    author_kind: str,
    audit: AuditContext,
    is_internal: bool = False,
    status: str | None = None,
    at: datetime | None = None,
    channel_message_id: str = "",
) -> TicketMessage:
    """Add a message to a ticket; a customer reply reopens a resolved ticket."""
    body = body.strip()
    if not body:
        raise InvalidInput("A reply cannot be empty.")
    at = at or clock.now()
    message = TicketMessage.objects.create(
        ticket=ticket,
        author_kind=author_kind,
        author_user=audit.actor if author_kind == TicketMessage.Author.AGENT else None,
        body=body,
        is_internal=is_internal,
        created_at=at,
        channel_message_id=channel_message_id[:255],
    )
    fields: dict[str, Any] = {}
    is_public_agent_reply = author_kind == TicketMessage.Author.AGENT and not is_internal
    if is_public_agent_reply and ticket.first_response_at is None:
        fields["first_response_at"] = at
    if status is None and author_kind == TicketMessage.Author.CUSTOMER and not ticket.is_open:
        status = Ticket.Status.OPEN
    if status is None and is_public_agent_reply and ticket.status == Ticket.Status.NEW:
        status = Ticket.Status.OPEN
    was = ticket.status
    _ticket_apply(ticket, fields, status=status, at=at)
    if author_kind != TicketMessage.Author.CUSTOMER and was != ticket.status:
        csat_request_after_solve(ticket=ticket, audit=audit)
    tickets_sla_refresh(tickets=[ticket])  # a reply starts or stops the next-reply clock
    if author_kind == TicketMessage.Author.AGENT:
        audit_record(
            audit,
            action="ticket.note_add" if is_internal else "ticket.reply",
            target=ticket,
            params={"message_id": message.pk, "status": ticket.status},
        )
    return message


def _ticket_apply(
    ticket: Ticket, fields: dict[str, Any], *, status: str | None, at: datetime
) -> None:
    if status is not None and status != ticket.status:
        fields["status"] = status
        fields["resolved_at"] = at if status in _RESOLVED else None
    if not fields:
        return
    fields["updated_at"] = at
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.save(update_fields=list(fields))
    tickets_sla_refresh(tickets=[ticket])


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, audit: AuditContext, at: datetime | None = None, **changes: Any
) -> Ticket:
    """Change a ticket's status, priority, category or assignee."""
    allowed = {"status", "priority", "category", "assignee"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} on a ticket")
    choices = {
        "status": Ticket.Status.values,
        "priority": Ticket.Priority.values,
        "category": [*Ticket.Category.values, ""],
    }
    for name, allowed_values in choices.items():
        if name in changes and changes[name] not in allowed_values:
            value = str(changes[name])[:40]
            raise InvalidInput(f"{name} '{value}' is unknown; one of {', '.join(allowed_values)}.")
    at = at or clock.now()
    before = {name: str(getattr(ticket, name)) for name in changes}
    status = changes.pop("status", None)
    was = ticket.status
    _ticket_apply(ticket, dict(changes), status=status, at=at)
    after = {name: str(getattr(ticket, name)) for name in before}
    audit_record(audit, action="ticket.update", target=ticket, params={"from": before, "to": after})
    if was != ticket.status:
        csat_request_after_solve(ticket=ticket, audit=audit)
    return ticket


@transaction.atomic
def ticket_rate(
    *, ticket: Ticket, rating: int, comment: str = "", at: datetime | None = None
) -> Ticket:
    """Record the requester's satisfaction rating (1-5)."""
    if not 1 <= rating <= 5:
        raise InvalidInput("A rating is between 1 and 5.")
    ticket.satisfaction_rating = rating
    ticket.satisfaction_comment = comment.strip()
    ticket.rated_at = at or clock.now()
    ticket.rated_handling = ticket_handling(ticket=ticket)
    ticket.save(
        update_fields=["satisfaction_rating", "satisfaction_comment", "rated_at", "rated_handling"]
    )
    return ticket


@dataclass(frozen=True)
class CategoryModelTraining:
    artifact: ModelArtifact | None  # None: too little history, nothing was trained
    reason: str  # why nothing was trained, or the store's decision about the new version


def ticket_category_model_train(
    *, audit: AuditContext, embeddings: bool | None = None
) -> CategoryModelTraining:
    """Train the category classifier on labelled tickets and store it; the store switches it on
    only if it beats the keyword rules on the latest tickets."""
    training = triage_training_run(tickets=tickets_labelled_for_training(), embeddings=embeddings)
    if training.classifier is None or training.run is None:
        return CategoryModelTraining(artifact=None, reason=training.reason)
    artifact = model_artifact_save(model=training.classifier, run=training.run, audit=audit)
    return CategoryModelTraining(artifact=artifact, reason=artifact.decision)


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, audit: AuditContext) -> Ticket:
    """Merge a duplicate into another ticket: its request and messages move to the target,
    and it is closed with a note saying where it went."""
    if source.pk == target.pk:
        raise InvalidInput("A ticket cannot be merged into itself.")
    if source.requester_id != target.requester_id:
        raise InvalidInput("Only tickets from the same person can be merged.")
    if not source.is_open or not target.is_open:
        raise InvalidInput("Both tickets must be open to merge them.")
    at = clock.now()
    TicketMessage.objects.filter(ticket=source).update(ticket=target)
    TicketMessage.objects.create(
        ticket=target,
        author_kind=TicketMessage.Author.CUSTOMER,
        body=f"(merged from #{source.pk}: {source.subject})\n\n{source.body}",
        created_at=source.created_at,
    )
    TicketMessage.objects.create(
        ticket=source,
        author_kind=TicketMessage.Author.SYSTEM,
        body=f"Merged into #{target.pk}.",
        is_internal=True,
        created_at=at,
    )
    _ticket_apply(source, {}, status=Ticket.Status.CLOSED, at=at)
    tickets_sla_refresh(tickets=[target])  # its conversation grew
    audit_record(audit, action="ticket.merge", target=target, params={"merged": source.pk})
    return target
