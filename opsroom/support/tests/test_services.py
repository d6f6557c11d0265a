from datetime import timedelta

import pytest

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket
from opsroom.support.services import (
    ticket_message_upsert_many,
    ticket_rate,
    ticket_reply,
    ticket_update,
    ticket_upsert_many,
)
from opsroom.support.tests.factories import TicketFactory


@pytest.mark.django_db
def test_the_first_public_agent_reply_sets_first_response(staff_support):
    ticket = TicketFactory()
    audit = AuditContext(actor=staff_support, label="sam")
    ticket_reply(ticket=ticket, body="internal", author_kind="agent", is_internal=True, audit=audit)
    assert ticket.first_response_at is None
    reply = ticket_reply(ticket=ticket, body="Try this", author_kind="agent", audit=audit)
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert ticket.status == "open"
    assert AuditEntry.objects.filter(action="ticket.reply").count() == 1


@pytest.mark.django_db
def test_solving_sets_resolved_and_a_customer_reply_reopens(staff_support):
    ticket = TicketFactory(status="open")
    audit = AuditContext(actor=staff_support, label="sam")
    ticket_update(ticket=ticket, status="solved", audit=audit)
    assert ticket.resolved_at is not None
    ticket_reply(ticket=ticket, body="Still broken", author_kind="customer", audit=audit)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == ("open", None)


@pytest.mark.django_db
def test_ingested_messages_advance_first_response():
    person = PersonFactory()
    created = clock.now() - timedelta(hours=5)
    result = ticket_upsert_many(
        rows=[
            {
                "external_id": "t-1",
                "requester_id": person.pk,
                "subject": "Help",
                "body": "…",
                "created_at": created,
                "status": "solved",
            }
        ]
    )
    ticket = result.by_key["t-1"]
    assert ticket.resolved_at is not None
    ticket_message_upsert_many(
        rows=[
            {
                "external_id": "m-2",
                "ticket_id": ticket.pk,
                "author_kind": "agent",
                "body": "b",
                "created_at": created + timedelta(hours=2),
            },
            {
                "external_id": "m-1",
                "ticket_id": ticket.pk,
                "author_kind": "agent",
                "body": "a",
                "created_at": created + timedelta(hours=1),
            },
        ]
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == created + timedelta(hours=1)


@pytest.mark.django_db
def test_ratings_are_between_one_and_five():
    ticket = TicketFactory()
    with pytest.raises(InvalidInput, match="between 1 and 5"):
        ticket_rate(ticket=ticket, rating=6)
    ticket_rate(ticket=ticket, rating=5, comment="Quick!")
    assert Ticket.objects.get().satisfaction_rating == 5
