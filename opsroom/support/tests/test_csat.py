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


def test_a_solve_without_a_reply_emails_the_rating_link_once(staff_support):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com"), status="open")
    client = signed_in(staff_support)
    client.post(f"/support/tickets/{ticket.pk}/update/", {"status": "solved"})
    email = EmailMessage.objects.get()
    assert f"[#{ticket.pk}] How did we do?" == email.subject
    assert "/support/rate/" in email.body_text
    ticket.refresh_from_db()
    assert ticket.csat_requested_at is not None
    # Reopened by the customer and solved again: not asked twice.
    client.post(f"/support/tickets/{ticket.pk}/update/", {"status": "open"})
    client.post(f"/support/tickets/{ticket.pk}/update/", {"status": "solved"})
    assert EmailMessage.objects.count() == 1


def test_the_solving_reply_with_its_link_is_the_only_request(staff_support):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com"))
    signed_in(staff_support).post(
        f"/support/tickets/{ticket.pk}/reply/", {"body": "Fixed!", "status": "solved"}
    )
    assert EmailMessage.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.csat_requested_at is not None


def test_closing_or_solving_without_an_address_sends_nothing_and_still_solves(staff_support):
    spam = TicketFactory(requester=PersonFactory(email="spam@example.com"), status="open")
    no_email = TicketFactory(requester=PersonFactory(email=""), status="open")
    client = signed_in(staff_support)
    client.post(f"/support/tickets/{spam.pk}/update/", {"status": "closed"})
    client.post(f"/support/tickets/{no_email.pk}/update/", {"status": "solved"})
    assert not EmailMessage.objects.exists()
    no_email.refresh_from_db()
    assert no_email.status == "solved"
    assert no_email.csat_requested_at is None


def test_a_rating_records_how_the_ticket_was_handled(staff_support):
    from opsroom.support.models import AutomationRun, ReplySuggestion
    from opsroom.support.services.tickets import ticket_rate

    manual = TicketFactory(status="solved")
    assisted = TicketFactory(status="solved")
    ReplySuggestion.objects.create(ticket=assisted, body="draft", outcome="edited")
    auto = TicketFactory(status="solved")
    AutomationRun.objects.create(
        ticket=auto, intent="invoice_request", mode="automatic", outcome="resolved"
    )
    for ticket, rating in ((manual, 3), (assisted, 5), (auto, 4)):
        ticket_rate(ticket=ticket, rating=rating)
    handled = dict(Ticket.objects.values_list("pk", "rated_handling"))
    assert handled == {manual.pk: "manual", assisted.pk: "ai_assisted", auto.pk: "auto"}
    api = signed_in(staff_support).get(f"/api/v1/support/tickets/{assisted.pk}").json()
    assert (api["satisfaction_rating"], api["rated_handling"]) == (5, "ai_assisted")
    metrics = signed_in(staff_support).get("/api/v1/support/metrics?days=7").json()
    by_handling = metrics["current"]["csat_by_handling"]
    assert by_handling["auto"] == {"mean": 4.0, "ratings": 1}
    assert by_handling["ai_assisted"] == {"mean": 5.0, "ratings": 1}
    assert by_handling["manual"] == {"mean": 3.0, "ratings": 1}
    page = signed_in(staff_support).get("/support/dashboard/?days=7").content.decode()
    assert 'data-figure="csat-ai_assisted"' in page
    assert "support-volume-data" in page


def test_daily_volumes_split_each_day_by_who_resolved_it():
    from datetime import timedelta

    from opsroom.core import clock
    from opsroom.support.models import AutomationRun
    from opsroom.support.selectors.metrics import daily_volumes

    now = clock.now().replace(hour=12, minute=0)  # away from midnight
    today = TicketFactory(created_at=now - timedelta(minutes=5), satisfaction_rating=4)
    AutomationRun.objects.create(
        ticket=today, intent="invoice_request", mode="automatic", outcome="resolved"
    )
    TicketFactory(created_at=now - timedelta(minutes=6), satisfaction_rating=2)
    TicketFactory(created_at=now - timedelta(days=2, minutes=1))
    volumes = daily_volumes(start=now - timedelta(days=3), end=now)
    assert len(volumes.days) == 4  # a partial day at each end
    assert volumes.days[-1] == now.date()
    assert (volumes.auto_resolved[-1], volumes.manual[-1]) == (1, 1)
    assert volumes.csat[-1] == 3.0
    assert sum(volumes.manual) == 2
    assert volumes.csat[0] is None
