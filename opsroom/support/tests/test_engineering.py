"""Escalating a ticket to engineering with its error context, and known issues."""

import json

import pytest
from django.core import mail
from django.test import override_settings

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Escalation, KnownIssue
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.tests.factories import ApiRequestFactory, ErrorEventFactory

pytestmark = pytest.mark.django_db

FINGERPRINT = "recipe-generate-timeout"


def _ticket_with_error():
    person = PersonFactory(email="kim@example.com")
    for _ in range(3):
        ErrorEventFactory(person=person)
    ErrorEventFactory(person=PersonFactory())  # someone else hit it too
    ApiRequestFactory(person=person, status=504, path="/api/recipes/generate", method="POST")
    ApiRequestFactory(person=person, status=200)
    return TicketFactory(requester=person, subject="Recipes never generate", status="open")


@override_settings(OPSROOM_ENGINEERING_EMAILS=["eng@example.com"])
def test_an_agent_escalates_with_the_error_context_and_engineering_is_emailed(staff_support):
    ticket = _ticket_with_error()
    client = signed_in(staff_support)
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "Escalate to engineering" in page
    response = client.post(
        f"/support/tickets/{ticket.pk}/escalate/", {"note": "Times out since Tuesday."}
    )
    assert response.status_code == 302
    escalation = Escalation.objects.get()
    error = escalation.context["error"]
    assert error["fingerprint"] == FINGERPRINT
    assert (error["count_7d"], error["people"], error["release"]) == (3, 2, "2026.11.1")
    assert [r["status"] for r in escalation.context["requests"]] == [504]
    assert escalation.notified == ["eng@example.com"]
    email = mail.outbox[-1]
    assert email.to == ["eng@example.com"]
    assert f"#{ticket.pk}" in email.subject
    assert "Times out since Tuesday." in email.body
    assert "TimeoutError" in email.body
    assert "POST /api/recipes/generate -> 504" in email.body
    # An internal note on the ticket, and the audit trail.
    assert ticket.messages.get(is_internal=True).body.startswith("Escalated to engineering")
    assert AuditEntry.objects.filter(action="support.ticket_escalate").exists()
    # One open escalation a ticket.
    again = client.post(f"/support/tickets/{ticket.pk}/escalate/", {"note": "again"})
    assert again.status_code == 409
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "data-escalated" in page
    listing = client.get("/support/engineering/").content.decode()
    assert f"#{ticket.pk}" in listing
    client.post(f"/support/engineering/escalations/{escalation.pk}/resolve/")
    escalation.refresh_from_db()
    assert escalation.status == "resolved"


def test_without_engineering_addresses_the_escalation_is_recorded_only(staff_support):
    ticket = _ticket_with_error()
    client = signed_in(staff_support)
    response = client.post(f"/support/tickets/{ticket.pk}/escalate/", {"note": "Look"}, follow=True)
    assert "nobody was emailed" in response.content.decode()
    assert Escalation.objects.get().notified == []
    assert not mail.outbox


def test_escalation_input_and_roles(staff_support, staff_billing, staff_analyst):
    ticket = _ticket_with_error()
    assert (
        signed_in(staff_billing)
        .post(f"/support/tickets/{ticket.pk}/escalate/", {"note": "x"})
        .status_code
        == 403
    )
    client = signed_in(staff_support)
    assert client.post(f"/support/tickets/{ticket.pk}/escalate/", {"note": " "}).status_code == 400
    wrong = client.post(
        f"/support/tickets/{ticket.pk}/escalate/", {"note": "x", "fingerprint": "not-theirs"}
    )
    assert wrong.status_code == 400
    assert not Escalation.objects.exists()
    assert "Escalate to engineering" not in (
        signed_in(staff_analyst).get(f"/support/tickets/{ticket.pk}/").content.decode()
    )


def test_marking_a_known_issue_shows_it_beside_every_ticket_of_that_error(staff_support):
    ticket = _ticket_with_error()
    client = signed_in(staff_support)
    response = client.post(
        "/support/engineering/known-issues/",
        {
            "fingerprint": FINGERPRINT,
            "title": "Recipe generation times out",
            "workaround": "Generate a smaller recipe meanwhile.",
            "link": "https://tracker.example.com/ENG-42",
            "status": "fixing",
            "next": f"/support/tickets/{ticket.pk}/",
        },
    )
    assert response["Location"] == f"/support/tickets/{ticket.pk}/"
    issue = KnownIssue.objects.get()
    assert issue.status == "fixing"
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "Recipe generation times out" in page
    assert "Generate a smaller recipe meanwhile." in page
    assert "data-known" in page
    error_page = client.get(f"/analytics/errors/{FINGERPRINT}/").content.decode()
    assert "Known issue" in error_page
    # Fixed: recorded when.
    client.post(
        "/support/engineering/known-issues/",
        {"fingerprint": FINGERPRINT, "title": issue.title, "status": "fixed"},
    )
    issue.refresh_from_db()
    assert issue.fixed_at is not None
    assert AuditEntry.objects.filter(action="support.known_issue_update").exists()
    # An off-site "next" is ignored.
    elsewhere = client.post(
        "/support/engineering/known-issues/",
        {"fingerprint": FINGERPRINT, "title": "t", "next": "https://evil.example.com/"},
    )
    assert elsewhere["Location"] == "/support/engineering/"


def test_known_issue_input_is_checked(staff_support, staff_analyst):
    client = signed_in(staff_support)
    bad_link = client.post(
        "/support/engineering/known-issues/",
        {"fingerprint": "f", "title": "t", "link": "javascript:alert(1)"},
    )
    assert bad_link.status_code == 400
    bad_status = client.post(
        "/support/engineering/known-issues/", {"fingerprint": "f", "title": "t", "status": "x"}
    )
    assert bad_status.status_code == 400
    assert (
        signed_in(staff_analyst)
        .post("/support/engineering/known-issues/", {"fingerprint": "f", "title": "t"})
        .status_code
        == 403
    )
    assert not KnownIssue.objects.exists()


def test_escalations_and_known_issues_through_the_api(staff_support, staff_analyst):
    ticket = _ticket_with_error()
    client = signed_in(staff_support)
    made = client.post(
        f"/api/v1/support/tickets/{ticket.pk}/escalations",
        json.dumps({"note": "please look"}),
        "application/json",
    )
    assert made.status_code == 201
    assert made.json()["context"]["error"]["fingerprint"] == FINGERPRINT
    listed = client.get("/api/v1/support/escalations").json()
    assert [e["ticket_id"] for e in listed] == [ticket.pk]
    assert client.get("/api/v1/support/escalations?status=nope").status_code == 400
    resolved = client.post(f"/api/v1/support/escalations/{made.json()['id']}/resolve")
    assert resolved.json()["status"] == "resolved"
    assert (
        client.post(f"/api/v1/support/escalations/{made.json()['id']}/resolve").status_code == 409
    )
    marked = client.put(
        "/api/v1/support/known-issues",
        json.dumps({"fingerprint": FINGERPRINT, "title": "Timeouts", "status": "fixing"}),
        "application/json",
    )
    assert marked.status_code == 200
    assert client.get("/api/v1/support/known-issues").json()[0]["title"] == "Timeouts"
    refused = signed_in(staff_analyst).put(
        "/api/v1/support/known-issues",
        json.dumps({"fingerprint": FINGERPRINT, "title": "x"}),
        "application/json",
    )
    assert refused.status_code == 403
