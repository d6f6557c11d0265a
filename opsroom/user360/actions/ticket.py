"""Open a support ticket for a person, prefilled with their context."""

from django.http import HttpRequest

from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.services import ticket_create
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import TicketActionForm
from opsroom.user360.schemas import ActionIn
from opsroom.user360.selectors.context import ticket_context_text


def _form(data: Data | None, person: Person, initial: Data) -> TicketActionForm:
    return TicketActionForm(data, initial=initial)


def _initial(person: Person, request: HttpRequest) -> Data:
    return {"body": ticket_context_text(snapshot=person_snapshot_get(person=person))}


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    return [
        ("Subject", data["subject"]),
        ("Priority", data["priority"]),
        ("Description", data["body"]),
    ]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    ticket = ticket_create(
        requester=person,
        subject=data["subject"],
        body=data["body"],
        channel="web",
        priority=data["priority"],
        audit=audit,
    )
    return ActionOutcome(f"Ticket #{ticket.pk} created.", "ticket created", str(ticket.pk))


def _from_api(data: ActionIn) -> Data:
    return {"subject": data.subject, "body": data.body, "priority": data.priority}


TICKET = QuickAction(
    key="ticket",
    label="Create ticket",
    permissions=("support.add_ticket",),
    form=_form,
    preview=_preview,
    run=_run,
    from_api=_from_api,
    initial=_initial,
)
