"""Triage runs as a background task on every new ticket, whatever way it arrives."""

from datetime import timedelta

import pytest

from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.ingest.tests.test_webhook_email import _postmark, inbound, post  # noqa: F401
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import ReplySuggestion, Ticket, TicketAnalysis
from opsroom.support.services import ticket_create, ticket_upsert_many
from opsroom.support.tests.triage_worker import triage_tasks_queued, triage_tasks_run
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db


def test_a_ticket_opened_in_the_ui_is_queued_then_analysed():
    world = jane()
    ticket = ticket_create(
        requester=world.person,
        subject="Recipe generation is broken",
        body="Every time I generate a recipe it spins and times out with an error.",
        channel="web",
        audit=AuditContext.system("test"),
    )
    assert triage_tasks_queued() == [[ticket.pk]]
    assert not TicketAnalysis.objects.exists()

    triage_tasks_run()

    analysis = TicketAnalysis.objects.get(ticket=ticket)
    assert analysis.category == "bug"
    assert analysis.source == "rules"  # no model trained in this test
    assert 0 < analysis.category_confidence <= 1
    assert analysis.is_blocking
    assert "spins" in analysis.signals["blocking"]
    # Jane's three timeouts on POST /api/recipes/generate match the ticket's words.
    assert analysis.feature == "POST /api/recipes/generate"
    assert analysis.signals["error_fingerprint"] == "recipe-generate-timeout"
    # A blocking bug with matching errors is more than normal: the priority was raised.
    ticket.refresh_from_db()
    assert analysis.severity in ("high", "urgent")
    assert ticket.priority == analysis.severity
    assert AuditEntry.objects.filter(
        action="ticket.triage_priority", target_id=str(ticket.pk)
    ).exists()
    # And a reply was drafted for the agent.
    assert ReplySuggestion.objects.filter(ticket=ticket, outcome="pending").count() == 1


def test_triage_never_lowers_a_priority_nor_overrides_an_agent():
    person = PersonFactory()
    ticket = ticket_create(
        requester=person,
        subject="Idea",
        body="It would be nice to have dark mode.",
        channel="web",
        priority="urgent",
    )
    triage_tasks_run()
    ticket.refresh_from_db()
    assert TicketAnalysis.objects.get(ticket=ticket).severity == "low"
    assert ticket.priority == "urgent"


def test_running_triage_twice_keeps_one_analysis_and_one_draft():
    ticket = ticket_create(
        requester=PersonFactory(), subject="Invoice", body="Please send my invoice.", channel="web"
    )
    from opsroom.support.tasks import tickets_triage

    tickets_triage.call(ticket_ids=[ticket.pk])
    tickets_triage.call(ticket_ids=[ticket.pk, 999999])
    assert TicketAnalysis.objects.filter(ticket=ticket).count() == 1
    assert ReplySuggestion.objects.filter(ticket=ticket).count() == 1


def test_the_batch_api_queues_only_new_open_tickets():
    person = PersonFactory()
    now = clock.now()
    rows = [
        {
            "external_id": "zd-1",
            "requester_id": person.pk,
            "subject": "Old one",
            "body": "Solved long ago.",
            "status": "solved",
            "created_at": now - timedelta(days=30),
            "updated_at": now - timedelta(days=29),
        },
        {
            "external_id": "zd-2",
            "requester_id": person.pk,
            "subject": "Cannot log in",
            "body": "My password reset link does not arrive.",
            "status": "new",
            "created_at": now,
            "updated_at": now,
        },
    ]
    ticket_upsert_many(rows=rows)
    new = Ticket.objects.get(external_id="zd-2")
    assert triage_tasks_queued() == [[new.pk]]
    ticket_upsert_many(rows=rows)  # the same rows again: nothing new to triage
    assert triage_tasks_queued() == [[new.pk]]
    triage_tasks_run()
    assert TicketAnalysis.objects.get(ticket=new).category == "account_access"


def test_an_inbound_email_is_triaged():
    PersonFactory(email="ann@example.com")
    assert post("/webhooks/email/inbound/", inbound()).status_code == 200
    ticket = Ticket.objects.get()
    assert triage_tasks_queued() == [[ticket.pk]]
    triage_tasks_run()
    assert TicketAnalysis.objects.filter(ticket=ticket).exists()
