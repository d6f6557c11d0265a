"""The router every support endpoint registers on, and the checks they share."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth
from opsroom.core.errors import NotFound
from opsroom.core.models import User
from opsroom.core.refusals import permissions_check
from opsroom.core.schemas import ErrorOut
from opsroom.support.models import (
    Ticket,
)
from opsroom.support.schemas import (
    TicketOut,
)
from opsroom.support.selectors.tickets import ticket_reply_due

router = Router(tags=["support"])
WRITE = [ApiKeyAuth("admin"), StaffSessionAuth()]
REPLY_PERMISSIONS = ["support.add_ticketmessage", "messaging.add_emailmessage"]
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _staff(request: HttpRequest) -> User | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, User) else None


def _require(request: HttpRequest, permissions: list[str]) -> None:
    user = _staff(request)
    if user is not None:
        permissions_check(user, permissions)


# Ids the database can hold; a larger number names nothing (and must not reach a query).
MAX_ID = 2**63 - 1


def _ticket(ticket_id: int) -> Ticket:
    ticket = None
    if 0 < ticket_id <= MAX_ID:
        ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"No ticket #{ticket_id}.")
    return ticket


def _out(ticket: Ticket) -> TicketOut:
    return TicketOut(
        id=ticket.pk,
        external_id=ticket.external_id,
        person_id=ticket.requester_id,
        requester_email=ticket.requester.email,
        requester_name=ticket.requester.name,
        channel=ticket.channel,
        subject=ticket.subject,
        body=ticket.body,
        status=ticket.status,
        priority=ticket.priority,
        category=ticket.category,
        assignee_id=ticket.assignee_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        reply_due_at=ticket_reply_due(ticket=ticket),
        satisfaction_rating=ticket.satisfaction_rating,
        rated_handling=ticket.rated_handling,
        csat_requested_at=ticket.csat_requested_at,
        sla_due_at=ticket.sla_due_at,
        sla_target=ticket.sla_target,
    )
