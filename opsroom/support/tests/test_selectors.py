import pytest

from opsroom.support.selectors import ticket_ids_by_external_id
from opsroom.support.tests.factories import TicketFactory


@pytest.mark.django_db
def test_tickets_are_found_by_the_help_desk_id():
    ticket = TicketFactory(external_id="T-1")
    TicketFactory(external_id=None)
    assert ticket_ids_by_external_id(external_ids=["T-1", "T-9"]) == {"T-1": ticket.pk}


@pytest.mark.django_db
def test_an_email_reply_finds_its_ticket_by_message_id(staff_support):
    from opsroom.core.services.audit import AuditContext
    from opsroom.support.selectors import ticket_for_message_ids, ticket_get_by_number
    from opsroom.support.services import ticket_reply

    ticket = TicketFactory()
    ticket_reply(
        ticket=ticket,
        body="Any news?",
        author_kind="customer",
        audit=AuditContext.system("test"),
        channel_message_id="<abc@mail>",
    )
    assert ticket_for_message_ids(message_ids=["<nope@mail>", "<abc@mail>"]) == ticket
    assert ticket_for_message_ids(message_ids=[]) is None
    assert ticket_get_by_number(number=ticket.pk) == ticket
    assert ticket_get_by_number(number=ticket.pk + 1000) is None


@pytest.mark.django_db
def test_ticket_counts_as_of_a_time_leave_out_later_tickets_and_later_resolutions():
    from datetime import UTC, datetime, timedelta

    from opsroom.support.selectors import ticket_counts_by_person

    at = datetime(2026, 3, 1, tzinfo=UTC)
    ticket = TicketFactory(created_at=at - timedelta(days=5), status="solved")
    ticket.resolved_at = at + timedelta(days=2)  # solved after the moment asked about
    ticket.save()
    person = ticket.requester
    TicketFactory(requester=person, created_at=at + timedelta(days=1), status="open")
    TicketFactory(requester=person, created_at=at - timedelta(days=60), status="closed")
    then = ticket_counts_by_person(since=at - timedelta(days=30), person_ids=[person.pk], at=at)
    assert then == {person.pk: (1, 1)}  # opened in the window, and still open then
    now = ticket_counts_by_person(since=at - timedelta(days=30), person_ids=[person.pk])
    assert now == {person.pk: (2, 1)}
