"""Done when: a ticket arrives through the API; within seconds its page shows the analysis,
the context, similar tickets and a suggested reply; the agent sends it with one click; the
ticket is solved; at most 3 actions from opening the queue.

Triage runs in django-tasks-db's own worker (`db_worker`'s Worker class, batch mode) as soon
as the ticket is in; the page's polling while a ticket is being analysed is checked in
test_ticket_page.py."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker

from conftest import browser_sign_in
from opsroom.core import clock
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.models import EmailMessage
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket, TicketAnalysis
from opsroom.support.tests.factories import TicketFactory, TicketMessageFactory
from opsroom.user360.tests.world import jane

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def worker_pass() -> None:
    """What a `db_worker` process does when tickets arrive: run every queued task, then stop
    (its batch mode). It runs in the test's thread: SQLite's in-memory test database cannot
    take a second writer thread beside the live server."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    ).run()


def _past_ticket(subject, body, answer):
    created = clock.now() - timedelta(days=12)
    ticket = TicketFactory(
        requester=PersonFactory(name="Tom Baker"),
        subject=subject,
        body=body,
        status="solved",
        created_at=created,
    )
    ticket.resolved_at = created + timedelta(minutes=15)
    ticket.save(update_fields=["resolved_at"])
    TicketMessageFactory(ticket=ticket, body=answer, created_at=created + timedelta(minutes=10))
    return ticket


def test_a_ticket_from_the_api_is_answered_and_solved_in_two_clicks(
    live_server, page, staff_support, staff_admin
):
    jane()
    past = _past_ticket(
        "Recipe generation keeps timing out",
        "When I generate a recipe it spins and then times out.",
        "Hi Tom,\n\nWe fixed a slow server behind recipe generation; please sign out and back "
        "in, then generate the recipe again.\n\nThanks,\nSam",
    )
    key = api_key_create(
        name="host app", scopes=["ingest"], audit=AuditContext(actor=staff_admin, label="ada")
    )
    browser_sign_in(page, live_server, staff_support.username)

    arrived = time.monotonic()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}").post(
        "/api/v1/support/tickets",
        data=json.dumps(
            {
                "requester_id": "jane-1",
                "subject": "Recipe generation is broken",
                "body": "Every time I generate a recipe it spins and times out with an error.",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201
    number = response.json()["id"]
    worker_pass()

    actions = 0
    page.goto(f"{live_server.url}/support/")  # opening the queue
    page.click(f"[data-ticket-link='{number}']")
    actions += 1
    page.wait_for_selector("[data-analysis]", timeout=10000)
    page.wait_for_selector("[data-draft]")
    shown = time.monotonic() - arrived
    assert shown < 10, f"analysis shown {shown:.1f} s after the ticket arrived"
    assert TicketAnalysis.objects.filter(ticket_id=number).exists()

    analysis = page.locator("[data-analysis]").inner_text()
    assert "Bug" in analysis
    assert "Blocking workflow" in analysis
    assert "POST /api/recipes/generate" in analysis
    context = page.locator("[data-context]").inner_text()
    assert "Premium" in context
    assert "TimeoutError" in context
    assert page.locator("[data-user360]").get_attribute("href").startswith("/people/")
    assert page.locator(f"[data-similar-ticket='{past.pk}']").count() == 1
    draft = page.locator("[data-draft]").inner_text()
    assert draft.startswith("Hi Jane,")
    assert "sign out and back in" in draft

    page.click("[data-use-suggestion]")
    actions += 1
    page.wait_for_selector("text=Reply sent.")
    assert page.locator("[data-status]").inner_text() == "Solved"
    assert actions <= 3

    ticket = Ticket.objects.get(pk=number)
    assert ticket.status == "solved"
    assert ticket.messages.get().body == draft
    assert EmailMessage.objects.filter(
        subject=f"Re: [#{number}] Recipe generation is broken"
    ).exists()
