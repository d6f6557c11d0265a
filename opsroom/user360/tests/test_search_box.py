"""The search box on every page: suggestions as you type, Enter to jump to the person."""

import pytest

from conftest import signed_in
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_every_page_has_the_search_box(staff_analyst):
    for path in ("/", "/people/", "/audit/", "/debug/"):
        page = signed_in(staff_analyst).get(path).content.decode()
        assert 'class="topsearch"' in page, path
        assert 'hx-get="/people/suggest/"' in page


def test_suggestions_name_people_and_the_requester_of_a_ticket(staff_analyst):
    ada = PersonFactory(name="Ada Lovelace", email="ada@example.com")
    ticket = TicketFactory(requester=PersonFactory(name="Grace Hopper"))
    client = signed_in(staff_analyst)
    page = client.get("/people/suggest/", {"q": "ada"}).content.decode()
    assert f'href="/people/{ada.pk}/"' in page
    page = client.get("/people/suggest/", {"q": f"#{ticket.pk}"}).content.decode()
    assert f'href="/people/{ticket.requester_id}/?kind=ticket#timeline"' in page
    assert f"Ticket #{ticket.pk}" in page
    assert (
        "No person or ticket matches"
        in client.get("/people/suggest/", {"q": "zzzz"}).content.decode()
    )


def test_enter_jumps_to_the_person_when_the_match_is_certain(staff_analyst):
    ada = PersonFactory(name="Ada Lovelace", email="ada@example.com")
    PersonFactory(name="Ada Byron")
    ticket = TicketFactory(requester=ada)
    client = signed_in(staff_analyst)
    assert client.get("/people/go/", {"q": "ada@example.com"})["Location"] == f"/people/{ada.pk}/"
    assert (
        client.get("/people/go/", {"q": f"#{ticket.pk}"})["Location"]
        == f"/people/{ada.pk}/?kind=ticket#timeline"
    )
    assert client.get("/people/go/", {"q": "ada"})["Location"] == "/people/?q=ada"
