"""Response templates: writing them (roles, variables), and their results (stayed solved, CSAT)."""

import json

import pytest

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.people.snapshot import person_snapshot_get
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import ReplySuggestion, ResponseTemplate
from opsroom.support.selectors.replies import customer_variables
from opsroom.support.selectors.templates import TEMPLATE_VARIABLES, template_figures
from opsroom.support.services.replies import reply_suggestion_decide
from opsroom.support.services.tickets import ticket_rate, ticket_reply
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _template():
    return ResponseTemplate.objects.create(
        key="invoice", name="Invoice", category="invoice_request", body="Hi {first_name}, here."
    )


def _answered(template, staff):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com"), status="open")
    suggestion = ReplySuggestion.objects.create(
        ticket=ticket,
        body="Hi Kim, here.",
        sources=[{"kind": "template", "id": template.pk, "used": True}],
    )
    reply_suggestion_decide(
        suggestion=suggestion,
        outcome="use",
        audit=AuditContext(actor=staff, label="sam"),
        status="solved",
    )
    ticket.refresh_from_db()
    return ticket


def test_the_variables_offered_are_the_ones_drafts_fill():
    ticket = TicketFactory()
    filled = customer_variables(
        snapshot=person_snapshot_get(person=ticket.requester), ticket=ticket, agent_name="Sam"
    )
    assert set(filled) == set(TEMPLATE_VARIABLES)


def test_a_template_s_results_count_tickets_that_stayed_solved_and_their_ratings(staff_support):
    template = _template()
    stayed = _answered(template, staff_support)
    ticket_rate(ticket=stayed, rating=5)
    came_back = _answered(template, staff_support)
    ticket_reply(
        ticket=came_back,
        body="Still no invoice!",
        author_kind="customer",
        audit=AuditContext.system("email"),
    )
    figures = {f.template.key: f for f in template_figures()}["invoice"]
    assert (figures.sent, figures.stayed_solved) == (2, 1)
    assert figures.success_rate == 0.5
    assert (figures.csat, figures.csat_count) == (5.0, 1)
    assert ResponseTemplate.objects.get(pk=template.pk).usage_count == 2
    page = signed_in(staff_support).get("/support/templates/").content.decode()
    assert "50%" in page
    assert "1 of 2" in page


def test_admins_write_templates_and_unknown_variables_are_refused(staff_admin, staff_support):
    admin = signed_in(staff_admin)
    refused = admin.post(
        "/support/templates/new/", {"name": "Refund", "body": "Hi {firstname}", "is_active": "1"}
    )
    assert refused.status_code == 400
    assert "Unknown variable {firstname}" in refused.content.decode()
    created = admin.post(
        "/support/templates/new/",
        {"name": "Refund", "body": "Hi {first_name}, refunded.", "category": "billing"},
    )
    assert created.status_code == 302
    template = ResponseTemplate.objects.get(key="refund")
    assert template.is_active is False  # the box was not ticked
    assert AuditEntry.objects.filter(action="support.template_create").exists()
    agent = signed_in(staff_support)
    assert agent.get(f"/support/templates/{template.pk}/").status_code == 403
    assert agent.post("/support/templates/new/", {"name": "x", "body": "y"}).status_code == 403
    assert "New template" not in agent.get("/support/templates/").content.decode()
    assert admin.get("/support/templates/99999999999999999999/").status_code == 404


def test_templates_through_the_api(staff_admin, staff_support):
    admin = signed_in(staff_admin)
    body = {"name": "Password", "body": "Hi {first_name}, use the link.", "key": "password"}
    made = admin.post("/api/v1/support/templates", json.dumps(body), "application/json")
    assert made.status_code == 201
    assert made.json()["sent_12m"] == 0
    again = admin.post("/api/v1/support/templates", json.dumps(body), "application/json")
    assert again.status_code == 409
    template_id = made.json()["id"]
    off = admin.patch(
        f"/api/v1/support/templates/{template_id}",
        json.dumps({"is_active": False}),
        "application/json",
    )
    assert off.json()["is_active"] is False
    bad = admin.patch(
        f"/api/v1/support/templates/{template_id}",
        json.dumps({"body": "{oops}"}),
        "application/json",
    )
    assert bad.status_code == 400
    agent = signed_in(staff_support).patch(
        f"/api/v1/support/templates/{template_id}",
        json.dumps({"name": "x"}),
        "application/json",
    )
    assert agent.status_code == 403
    listed = signed_in(staff_support).get("/api/v1/support/templates").json()
    assert "password" in [t["key"] for t in listed]
