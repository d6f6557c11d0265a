"""Changes to many tickets at once from the queue."""

from typing import Any

from django.db import transaction

from opsroom.core.errors import InvalidInput
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Ticket
from opsroom.support.services.tickets import ticket_update

MAX_BULK = 200


@transaction.atomic
def tickets_bulk_update(
    *, ticket_ids: list[int], action: str, assignee_id: str, audit: AuditContext
) -> int:
    """Assign (action 'assign', to a staff user id or 'none') or close ('close') tickets; each
    change is audited. Returns how many tickets changed."""
    if not ticket_ids:
        raise InvalidInput("Tick at least one ticket.")
    if len(ticket_ids) > MAX_BULK:
        raise InvalidInput(f"At most {MAX_BULK} tickets at a time.")
    if action not in ("assign", "close"):
        raise InvalidInput("action is 'assign' or 'close'.")
    changes: dict[str, Any] = {}
    if action == "close":
        changes["status"] = Ticket.Status.CLOSED
    elif assignee_id == "none":
        changes["assignee"] = None
    else:
        assignee = (
            User.objects.filter(pk=int(assignee_id), is_active=True, is_staff=True).first()
            if assignee_id.isdecimal() and len(assignee_id) < 19
            else None
        )
        if assignee is None:
            raise InvalidInput("Choose an active staff member to assign to.")
        changes["assignee"] = assignee
    if any(not 0 < ticket_id < 2**63 for ticket_id in ticket_ids):
        raise InvalidInput("Some of those tickets do not exist.")
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).select_for_update())
    if len(tickets) != len(set(ticket_ids)):
        raise InvalidInput("Some of those tickets do not exist.")
    for ticket in tickets:
        ticket_update(ticket=ticket, audit=audit, **changes)
    return len(tickets)
