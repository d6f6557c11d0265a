"""CSAT: a solving reply carries a signed rating link; the customer rates without signing in."""

import re

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.messaging.models import EmailMessage
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.csat import csat_link
from opsroom.support.models import Ticket
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_solving_email_carries_a_link_that_rates_the_ticket(staff_support):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com"))
    signed_in(staff_support).post(
        f"/support/tickets/{ticket.pk}/reply/", {"body": "Fixed!", "status": "solved"}
    )
    email = EmailMessage.objects.get()
    link = re.search(r"https?://\S+/support/rate/\S+/", email.body_text).group(0)
    assert ticket.messages.get().body == "Fixed!"  # the link is in the email only
    path = link.split("://", 1)[1].split("/", 1)[1]
    customer = Client()
    assert customer.get(f"/{path}").status_code == 200
    response = customer.post(f"/{path}", {"score": "4", "comment": "quick"})
    assert response.status_code == 200
    assert "4 out of 5" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.satisfaction_rating, ticket.satisfaction_comment) == (4, "quick")


def test_a_reply_that_does_not_solve_has_no_link(staff_support):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com"))
    signed_in(staff_support).post(f"/support/tickets/{ticket.pk}/reply/", {"body": "Looking."})
    assert "rate" not in EmailMessage.objects.get().body_text


def test_forged_links_and_bad_scores_are_refused():
    ticket = TicketFactory()
    path = "/" + csat_link(ticket_id=ticket.pk).split("://", 1)[1].split("/", 1)[1]
    forged = path.replace(f"/rate/{ticket.pk}:", f"/rate/{ticket.pk + 1}:")
    assert Client().get(forged).status_code == 400
    assert Client().get("/support/rate/nonsense/").status_code == 400
    assert Client().post(path, {"score": "9"}).status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).satisfaction_rating is None
