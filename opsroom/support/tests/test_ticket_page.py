"""The ticket page: conversation, analysis, the customer's context, quick actions; each action
permission-checked and audited."""

import html

import pytest
from django.core import mail

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.tests.outbox_worker import outbox_tasks_run
from opsroom.messaging.models import EmailMessage
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import AnalysisCorrection, ReplySuggestion, Ticket, TicketMessage
from opsroom.support.selectors import ticket_for_message_ids
from opsroom.support.services import ticket_create
from opsroom.support.tests.triage_worker import triage_tasks_run
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def janes_ticket():
    world = jane()
    ticket = ticket_create(
        requester=world.person,
        subject="Recipe generation is broken",
        body="Every time I generate a recipe it spins and times out with an error.",
        channel="web",
    )
    return ticket


def test_before_triage_the_page_says_it_is_analysing_and_polls(staff_support, janes_ticket):
    page = _text(signed_in(staff_support).get(f"/support/tickets/{janes_ticket.pk}/"))
    assert "Analysing this ticket" in page
    assert f'hx-get="/support/tickets/{janes_ticket.pk}/copilot/"' in page
    # The customer's context needs no triage: it is there at once.
    assert "Premium" in page
    assert "Visa •••• 4242" in page


def test_after_triage_the_page_shows_analysis_context_and_a_draft(staff_support, janes_ticket):
    triage_tasks_run()
    page = _text(signed_in(staff_support).get(f"/support/tickets/{janes_ticket.pk}/"))
    assert "Analysing" not in page
    assert "Issue type</dt><dd>Bug" in page
    assert "Blocking workflow" in page
    assert "POST /api/recipes/generate" in page
    assert "matches the ticket" in page  # her recent error on that feature comes first
    assert f'href="/people/{janes_ticket.requester_id}/"' in page
    assert "Hi Jane," in page  # the suggested reply, filled with her name
    partial = _text(signed_in(staff_support).get(f"/support/tickets/{janes_ticket.pk}/copilot/"))
    assert "data-analysis" in partial
    assert "hx-trigger" not in partial


def test_a_reply_goes_by_email_through_the_outbox_threaded_on_the_ticket(
    staff_support, janes_ticket, settings
):
    settings.OPSROOM_OUTBOX_INLINE = False  # a worker sends it, not the request
    response = signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/reply/",
        {"body": "We are on it; try again in an hour.", "status": "pending"},
    )
    assert response.status_code == 302
    message = TicketMessage.objects.get(ticket=janes_ticket)
    email = EmailMessage.objects.get(subject__startswith="Re:")
    assert email.subject == f"Re: [#{janes_ticket.pk}] Recipe generation is broken"
    assert message.channel_message_id == email.provider_message_id
    # The customer's answer (In-Reply-To that Message-ID) finds this ticket.
    assert ticket_for_message_ids(message_ids=[email.provider_message_id]) == janes_ticket
    janes_ticket.refresh_from_db()
    assert janes_ticket.status == "pending"
    assert janes_ticket.first_response_at is not None
    assert AuditEntry.objects.filter(action="ticket.reply", target_id=str(janes_ticket.pk)).exists()
    assert mail.outbox == []  # nothing leaves inside the request
    outbox_tasks_run()
    assert [m.subject for m in mail.outbox] == [email.subject]
    assert mail.outbox[0].to == ["jane@example.com"]


def test_an_internal_note_is_not_sent(staff_support, janes_ticket):
    signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/reply/",
        {"body": "Known bug, see ENG-12.", "internal": "1"},
    )
    assert TicketMessage.objects.get(ticket=janes_ticket).is_internal
    assert not EmailMessage.objects.filter(subject__startswith="Re:").exists()
    assert AuditEntry.objects.filter(action="ticket.note_add").exists()


def test_a_reply_that_cannot_be_sent_keeps_the_text(staff_support):
    ticket = ticket_create(
        requester=PersonFactory(email=""), subject="Hi", body="Help", channel="web"
    )
    response = signed_in(staff_support).post(
        f"/support/tickets/{ticket.pk}/reply/", {"body": "My careful answer"}
    )
    assert response.status_code == 409
    page = _text(response)
    assert "This person has no email address." in page
    assert "My careful answer</textarea>" in page
    assert not TicketMessage.objects.exists()


def test_status_priority_and_assignee(staff_support, janes_ticket):
    response = signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/update/",
        {"status": "open", "priority": "high", "assignee": staff_support.pk},
    )
    assert response.status_code == 302
    janes_ticket.refresh_from_db()
    assert (janes_ticket.status, janes_ticket.priority, janes_ticket.assignee) == (
        "open",
        "high",
        staff_support,
    )
    entry = AuditEntry.objects.get(action="ticket.update")
    assert entry.params["to"]["priority"] == "high"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "done"}, "status 'done' is unknown"),
        ({"assignee": "12345"}, "Choose an active staff member"),
        ({}, "Nothing to change"),
    ],
    ids=["status", "assignee", "nothing"],
)
def test_bad_updates_are_a_400(staff_support, janes_ticket, data, message):
    response = signed_in(staff_support).post(f"/support/tickets/{janes_ticket.pk}/update/", data)
    assert response.status_code == 400
    assert message in _text(response)


def test_a_corrected_category_becomes_the_training_label(staff_support, janes_ticket):
    triage_tasks_run()
    client = signed_in(staff_support)
    client.post(
        f"/support/tickets/{janes_ticket.pk}/correct/", {"field": "category", "value": "how_to"}
    )
    client.post(
        f"/support/tickets/{janes_ticket.pk}/correct/", {"field": "feature", "value": "Recipes"}
    )
    janes_ticket.refresh_from_db()
    assert janes_ticket.category == "how_to"
    assert list(AnalysisCorrection.objects.values_list("field", "predicted", "corrected")) == [
        ("category", "bug", "how_to"),
        ("feature", "post /api/recipes/generate", "Recipes"),
    ]
    assert AuditEntry.objects.filter(action="ticket.analysis_correct").count() == 2
    bad = client.post(
        f"/support/tickets/{janes_ticket.pk}/correct/", {"field": "severity", "value": "meh"}
    )
    assert bad.status_code == 400
    assert "'meh' is not a severity" in _text(bad)


def test_using_the_suggestion_sends_it_and_solves_the_ticket(staff_support, janes_ticket):
    triage_tasks_run()
    suggestion = ReplySuggestion.objects.get(ticket=janes_ticket)
    response = signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/suggestions/{suggestion.pk}/",
        {"outcome": "use", "status": "solved"},
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    janes_ticket.refresh_from_db()
    assert suggestion.outcome == "used"
    assert suggestion.decided_by == staff_support
    assert janes_ticket.status == "solved"
    assert TicketMessage.objects.get(ticket=janes_ticket).body == suggestion.body
    again = signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/suggestions/{suggestion.pk}/", {"outcome": "reject"}
    )
    assert again.status_code == 409
    assert "already used as is" in _text(again)


def test_an_edited_suggestion_is_recorded_as_edited(staff_support, janes_ticket):
    triage_tasks_run()
    suggestion = ReplySuggestion.objects.get(ticket=janes_ticket)
    signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/suggestions/{suggestion.pk}/",
        {"outcome": "use", "body": "Hi Jane, fixed now.", "status": "pending"},
    )
    suggestion.refresh_from_db()
    assert suggestion.outcome == "edited"
    assert TicketMessage.objects.get(ticket=janes_ticket).body == "Hi Jane, fixed now."


def test_a_rejected_suggestion_sends_nothing(staff_support, janes_ticket):
    triage_tasks_run()
    suggestion = ReplySuggestion.objects.get(ticket=janes_ticket)
    signed_in(staff_support).post(
        f"/support/tickets/{janes_ticket.pk}/suggestions/{suggestion.pk}/", {"outcome": "reject"}
    )
    suggestion.refresh_from_db()
    assert suggestion.outcome == "rejected"
    assert not TicketMessage.objects.exists()
    assert AuditEntry.objects.filter(action="ticket.suggestion_decide").exists()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("reply/", {"body": "hello"}),
        ("reply/", {"body": "note", "internal": "1"}),
        ("update/", {"status": "solved"}),
        ("correct/", {"field": "category", "value": "billing"}),
        ("redraft/", {}),
    ],
    ids=["reply", "note", "update", "correct", "redraft"],
)
def test_analysts_may_read_but_not_act(staff_analyst, janes_ticket, path, data):
    client = signed_in(staff_analyst)
    assert client.get(f"/support/tickets/{janes_ticket.pk}/").status_code == 200
    response = client.post(f"/support/tickets/{janes_ticket.pk}/{path}", data)
    assert response.status_code == 403
    assert "Analysts can read but not" in _text(response)
    janes_ticket.refresh_from_db()
    assert janes_ticket.status == "new"
    assert not TicketMessage.objects.exists()


def test_analysts_may_not_decide_on_suggestions(staff_analyst, janes_ticket):
    triage_tasks_run()
    suggestion = ReplySuggestion.objects.get(ticket=janes_ticket)
    for outcome in ("use", "reject"):
        response = signed_in(staff_analyst).post(
            f"/support/tickets/{janes_ticket.pk}/suggestions/{suggestion.pk}/", {"outcome": outcome}
        )
        assert response.status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.outcome == "pending"


def test_billing_specialists_may_reply_and_change(staff_billing, janes_ticket):
    client = signed_in(staff_billing)
    assert (
        client.post(f"/support/tickets/{janes_ticket.pk}/reply/", {"body": "Refunded."}).status_code
        == 302
    )
    assert (
        client.post(f"/support/tickets/{janes_ticket.pk}/update/", {"status": "solved"}).status_code
        == 302
    )
    assert Ticket.objects.get(pk=janes_ticket.pk).status == "solved"


def test_unknown_tickets_are_a_404(staff_support):
    client = signed_in(staff_support)
    assert client.get("/support/tickets/999999/").status_code == 404
    assert client.get(f"/support/tickets/{2**70}/").status_code == 404


def test_the_panel_polls_until_the_draft_is_in_too(staff_support, janes_ticket):
    from opsroom.support.services import ticket_analyse

    ticket_analyse(ticket=janes_ticket)  # analysed, not yet drafted
    partial = _text(signed_in(staff_support).get(f"/support/tickets/{janes_ticket.pk}/copilot/"))
    assert "data-analysis" in partial
    assert "Drafting a reply" in partial
    assert "data-polling" in partial


def test_an_old_ticket_never_triaged_offers_to_analyse_now(staff_support, staff_analyst):
    from datetime import timedelta

    from opsroom.core import clock
    from opsroom.support.tests.factories import TicketFactory

    ticket = TicketFactory(created_at=clock.now() - timedelta(days=3))
    page = _text(signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/"))
    assert "data-polling" not in page
    assert "has not been analysed" in page
    assert (
        signed_in(staff_analyst).post(f"/support/tickets/{ticket.pk}/analyse/").status_code == 403
    )
    assert (
        signed_in(staff_support).post(f"/support/tickets/{ticket.pk}/analyse/").status_code == 302
    )
    page = _text(signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/"))
    assert "data-analysis" in page
    assert "data-draft" in page
