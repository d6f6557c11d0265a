"""Tickets: list, create, get, update, reply and merge."""

from typing import Any

from django.http import HttpRequest
from ninja import Status
from ninja.params.functions import Query

from opsroom.core import clock
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.models import User
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.support.api.access import (
    ERRORS,
    MAX_ID,
    REPLY_PERMISSIONS,
    WRITE,
    _out,
    _require,
    _staff,
    _ticket,
    router,
)
from opsroom.support.schemas import (
    MergeIn,
    MessageIn,
    MessageOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
)
from opsroom.support.selectors.queue import queue_filters_parse, queue_page, queue_tickets
from opsroom.support.services.replies import (
    ticket_reply_send,
)
from opsroom.support.services.tickets import (
    ticket_create,
    ticket_merge,
    ticket_reply,
    ticket_update,
)


@router.get(
    "/support/tickets",
    response={200: TicketPage, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_list",
    summary="List and filter tickets",
)
def tickets_list(
    request: HttpRequest,
    view: str = Query("all", description="unassigned, mine, open, breaching, pending, solved, all"),
    status: str = "",
    priority: str = "",
    category: str = "",
    feature: str = "",
    assignee: str = Query("", description="a staff user id, or 'none'"),
    channel: str = "",
    sla: str = Query("", description="breached, soon, ok, none"),
    target: str = Query(
        "", description="the SLA target due first: first_reply, next_reply, resolution"
    ),
    plan: str = "",
    q: str = Query("", description="#number, subject, requester email or name"),
    page: int = 1,
) -> Status[Any]:
    """Tickets of a view under filters, priority first, then the first reply due soonest."""
    filters = queue_filters_parse(
        {
            "view": view,
            "status": status,
            "priority": priority,
            "category": category,
            "feature": feature,
            "assignee": assignee,
            "channel": channel,
            "sla": sla,
            "target": target,
            "plan": plan,
            "q": q,
        }
    )
    user = _staff(request)
    tickets = queue_tickets(filters=filters, user_id=user.pk if user else None, now=clock.now())
    current, rows = queue_page(tickets=tickets, page=page)
    return Status(
        200,
        TicketPage(
            count=current.paginator.count,
            page=current.number,
            pages=current.paginator.num_pages,
            results=[_out(row.ticket) for row in rows],
        ),
    )


@router.post(
    "/support/tickets",
    response={201: TicketOut, **ERRORS},
    auth=[ApiKeyAuth("ingest"), StaffSessionAuth()],
    operation_id="support_tickets_create",
    summary="Open a ticket",
)
def tickets_create(request: HttpRequest, data: TicketIn) -> Status[Any]:
    """Open a ticket for a person (by host-app user id or Opsroom id); triage runs in the
    background within seconds."""
    _require(request, ["support.add_ticket"])
    if data.person_id is not None:
        requester = (
            Person.objects.filter(pk=data.person_id).first()
            if 0 < data.person_id <= MAX_ID
            else None
        )
    elif data.requester_id.strip():
        requester = Person.objects.filter(external_id=data.requester_id.strip()).first()
    else:
        raise InvalidInput("Name the requester: requester_id (host-app user id) or person_id.")
    if requester is None:
        raise NotFound("No such person; send them through the ingest API first.")
    ticket = ticket_create(
        requester=requester,
        subject=data.subject,
        body=data.body,
        channel=data.channel,
        priority=data.priority,
        audit=AuditContext.from_request(request),
    )
    return Status(201, _out(ticket))


@router.get(
    "/support/tickets/{ticket_id}",
    response={200: TicketOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_get",
    summary="One ticket",
)
def tickets_get(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """A ticket by number."""
    return Status(200, _out(_ticket(ticket_id)))


@router.patch(
    "/support/tickets/{ticket_id}",
    response={200: TicketOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_update",
    summary="Change a ticket",
)
def tickets_update(request: HttpRequest, ticket_id: int, data: TicketPatch) -> Status[Any]:
    """Set status, priority, category or assignee (audited)."""
    _require(request, ["support.change_ticket"])
    ticket = _ticket(ticket_id)
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("status", data.status),
            ("priority", data.priority),
            ("category", data.category),
        )
        if value is not None
    }
    if data.unassign:
        changes["assignee"] = None
    elif data.assignee_id is not None:
        assignee = (
            User.objects.filter(pk=data.assignee_id, is_active=True, is_staff=True).first()
            if 0 < data.assignee_id <= MAX_ID
            else None
        )
        if assignee is None:
            raise InvalidInput(f"assignee_id {data.assignee_id} is not an active staff user.")
        changes["assignee"] = assignee
    if not changes:
        raise InvalidInput("Nothing to change: send status, priority, category or assignee_id.")
    ticket_update(ticket=ticket, audit=AuditContext.from_request(request), **changes)
    return Status(200, _out(ticket))


@router.post(
    "/support/tickets/{ticket_id}/messages",
    response={201: MessageOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_reply",
    summary="Reply by email, or add an internal note",
)
def tickets_reply(request: HttpRequest, ticket_id: int, data: MessageIn) -> Status[Any]:
    """Reply to the customer by email (threaded on the ticket), or add an internal note."""
    _require(request, ["support.add_ticketmessage"] if data.internal else REPLY_PERMISSIONS)
    ticket = _ticket(ticket_id)
    audit = AuditContext.from_request(request)
    if data.internal:
        message = ticket_reply(
            ticket=ticket,
            body=data.body,
            author_kind="agent",
            audit=audit,
            is_internal=True,
            status=data.status,
        )
    else:
        message = ticket_reply_send(ticket=ticket, body=data.body, audit=audit, status=data.status)
    return Status(
        201,
        MessageOut(
            id=message.pk,
            author_kind=message.author_kind,
            is_internal=message.is_internal,
            body=message.body,
            created_at=message.created_at,
            ticket_status=ticket.status,
        ),
    )


@router.post(
    "/support/tickets/{ticket_id}/merge",
    response={200: TicketOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_merge",
    summary="Merge a duplicate into a ticket",
)
def tickets_merge(request: HttpRequest, ticket_id: int, data: MergeIn) -> Status[Any]:
    """Merge ticket `duplicate` (same person, open) into this one; it is closed."""
    _require(request, ["support.change_ticket"])
    target = ticket_merge(
        source=_ticket(data.duplicate),
        target=_ticket(ticket_id),
        audit=AuditContext.from_request(request),
    )
    return Status(200, _out(target))
