"""Similar tickets (how each was resolved and how long it took; open duplicates) and the
suggested reply built from them and the templates, filled with the customer's facts."""

from datetime import timedelta

import pytest

from opsroom.core import clock
from opsroom.people.snapshot import person_snapshot_get
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import ResponseTemplate
from opsroom.support.selectors.replies import reply_draft_build
from opsroom.support.selectors.similar import tickets_similar, tickets_similar_to
from opsroom.support.tests.factories import TicketFactory, TicketMessageFactory
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db


def _solved(subject, body, answer, *, hours=2.0, name="Tom Baker", category="bug", rating=None):
    created = clock.now() - timedelta(days=10)
    ticket = TicketFactory(
        requester=PersonFactory(name=name),
        subject=subject,
        body=body,
        status="solved",
        category=category,
        created_at=created,
        satisfaction_rating=rating,
    )
    ticket.resolved_at = created + timedelta(hours=hours)
    ticket.save(update_fields=["resolved_at"])
    TicketMessageFactory(ticket=ticket, body=answer, created_at=created + timedelta(hours=1))
    return ticket


CACHE_ANSWER = (
    "Hi Tom,\n\nThis is a browser cache issue. Please clear your browser cache, sign out and "
    "back in, then save the recipe again.\n\nThanks,\nSam"
)


def test_similar_tickets_come_with_their_resolution_and_time():
    cache = _solved("Recipe won't save", "Saving a recipe spins forever", CACHE_ANSWER, hours=0.25)
    _solved("Refund please", "I was charged twice for my plan", "Refunded.", category="billing")
    duplicate = TicketFactory(subject="Recipe won't save", body="Saving my recipe spins forever")
    new = TicketFactory(subject="Cannot save recipe", body="When saving a recipe it spins forever")
    found = tickets_similar_to(ticket=new)
    assert [s.ticket_id for s in found.resolved] == [cache.pk]
    assert found.resolved[0].resolution_hours == 0.25
    assert "clear your browser cache" in found.resolved[0].resolution
    assert [s.ticket_id for s in found.duplicates] == [duplicate.pk]


def test_nothing_alike_finds_nothing():
    _solved("Refund please", "I was charged twice", "Refunded.", category="billing")
    assert tickets_similar(text="zebra crossing", exclude_id=None).resolved == []
    assert tickets_similar(text="the and of", exclude_id=None).resolved == []


def test_the_index_follows_new_tickets():
    TicketFactory(subject="Alpha", body="alpha alpha")
    assert tickets_similar(text="export csv broken").resolved == []
    past = _solved("Export CSV broken", "CSV export is broken", "Use the new export button.")
    assert [s.ticket_id for s in tickets_similar(text="export csv broken").resolved] == [past.pk]


def test_the_draft_reuses_the_best_answer_for_this_customer_and_cites_it():
    world = jane()
    cache = _solved("Recipe won't save", "Saving a recipe spins forever", CACHE_ANSWER, rating=5)
    other = _solved(
        "Recipe not saving", "Recipe saving spins forever", CACHE_ANSWER, name="Ann Lee"
    )
    ticket = TicketFactory(
        requester=world.person, subject="Cannot save recipe", body="Saving a recipe spins forever"
    )
    draft = reply_draft_build(
        ticket=ticket,
        analysis=None,
        snapshot=person_snapshot_get(person=world.person),
        similar=tickets_similar_to(ticket=ticket).resolved,
        agent_name="Sam Agent",
    )
    assert draft.body.startswith("Hi Jane,")
    assert "clear your browser cache" in draft.body
    assert "Tom" not in draft.body  # the earlier customer's name is not carried over
    assert "2 other customers" in draft.body
    assert draft.body.endswith("Best,\nSam Agent")
    cited = [(src["kind"], src["id"]) for src in draft.sources]
    assert cited == [
        ("ticket", draft.sources[0]["id"]),
        ("ticket", draft.sources[1]["id"]),
        (
            "template",
            ResponseTemplate.objects.get(key="bug-report").pk,
        ),
    ]
    assert {draft.sources[0]["id"], draft.sources[1]["id"]} == {cache.pk, other.pk}
    assert [src["used"] for src in draft.sources] == [True, False, False]
    assert draft.sources[0]["resolution_hours"] == 2.0
    assert draft.method == "retrieval"


def test_without_a_similar_answer_the_template_answers_with_the_customers_facts():
    world = jane()
    ticket = TicketFactory(
        requester=world.person, subject="Charge", body="Why was I charged?", category="billing"
    )
    draft = reply_draft_build(
        ticket=ticket,
        analysis=None,
        snapshot=person_snapshot_get(person=world.person),
        similar=[],
    )
    template = ResponseTemplate.objects.get(key="billing-question")
    assert template.body in draft.body
    assert "your Premium plan, paid with your Visa ending 4242" in draft.body
    assert draft.sources == [
        {"kind": "template", "id": template.pk, "key": template.key, "used": True}
    ]
