import pytest

from opsroom.people.models import Person
from opsroom.people.services import person_upsert
from opsroom.support.tests.factories import TicketFactory
from opsroom.user360.selectors.search import people_search

pytestmark = pytest.mark.django_db


def _found(query, limit=20):
    return [
        (Person.objects.get(pk=hit.person_id).external_id, hit.reason)
        for hit in people_search(query=query, limit=limit)
    ]


def test_user_id_and_ticket_number():
    person_upsert(external_id="u-102", email="bob@example.com", name="Bob Dupré")
    person_upsert(external_id="4242", email="lucas@example.com", name="Lucas Martin")
    bob = Person.objects.get(external_id="u-102")
    ticket = TicketFactory(requester=bob)
    assert _found(f"#{ticket.pk}") == [("u-102", f"ticket #{ticket.pk}")]
    # A bare number may be a ticket or a user id: both are offered, ticket first.
    lucas_ticket = TicketFactory(requester=bob, pk=4242)
    assert _found("4242")[:2] == [("u-102", f"ticket #{lucas_ticket.pk}"), ("4242", "user id")]
    # A ticket that does not exist: '#' asks for a ticket only, a bare number is a user id too.
    assert _found("#999999") == []
    assert _found("bob")[0] == ("u-102", "email")
