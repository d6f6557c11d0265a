"""The session-replay link in a ticket's related resources: the tracer for the requester and
the inspector for their latest request, on the page and through the API."""

import html
from datetime import timedelta

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.tests.factories import ApiRequestFactory

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


def test_the_ticket_page_links_the_requesters_trace_and_latest_request(staff_support):
    person = PersonFactory(external_id="u-77", name="Ann Lee")
    ApiRequestFactory(person=person, path="/api/old", occurred_at=clock.now() - timedelta(days=2))
    latest = ApiRequestFactory(
        person=person, method="POST", path="/api/recipes", status=500,
        occurred_at=clock.now() - timedelta(hours=1),
    )  # fmt: skip
    ticket = TicketFactory(requester=person)
    client = signed_in(staff_support)
    page = _text(client.get(f"/support/tickets/{ticket.pk}/copilot/"))
    assert "Session replay" in page
    assert 'href="/debug/trace/?person=u-77&days=7"' in page
    assert f'href="/debug/requests/{latest.pk}/"' in page
    assert "POST /api/recipes" in page
    # The links lead somewhere: the tracer finds the person, the inspector the request.
    assert client.get("/debug/trace/?person=u-77&days=7").status_code == 200
    assert client.get(f"/debug/requests/{latest.pk}/").status_code == 200


def test_no_link_when_the_requester_made_no_request_this_week(staff_support):
    person = PersonFactory()
    ApiRequestFactory(person=person, occurred_at=clock.now() - timedelta(days=8))
    ApiRequestFactory(occurred_at=clock.now() - timedelta(hours=1))  # someone else's
    ticket = TicketFactory(requester=person)
    page = _text(signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/copilot/"))
    assert "Session replay" not in page
    assert "/debug/trace/" not in page


def test_the_api_gives_the_same_links(staff_support):
    person = PersonFactory(external_id="u-9")
    latest = ApiRequestFactory(person=person, method="GET", path="/api/plans", status=200)
    ticket = TicketFactory(requester=person)
    body = signed_in(staff_support).get(f"/api/v1/support/tickets/{ticket.pk}/session-trace").json()
    assert body["has_trace"] is True
    assert body["trace_url"] == "/debug/trace/?person=u-9&days=7"
    assert body["request_url"] == f"/debug/requests/{latest.pk}/"
    assert (body["method"], body["path"], body["status"]) == ("GET", "/api/plans", 200)


def test_the_api_says_when_there_is_no_trace_and_404s_an_unknown_ticket(staff_support):
    ticket = TicketFactory()
    client = signed_in(staff_support)
    body = client.get(f"/api/v1/support/tickets/{ticket.pk}/session-trace").json()
    assert body["has_trace"] is False
    assert body["trace_url"] is None
    response = client.get("/api/v1/support/tickets/999999/session-trace")
    assert response.status_code == 404
    assert "No ticket #999999" in response.json()["detail"]
