"""Merging a duplicate: its request and messages move, it is closed, audited; roles."""

import json

import pytest

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket
from opsroom.support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db


def test_the_page_merges_a_duplicate_of_the_same_person(staff_support):
    person = PersonFactory()
    target = TicketFactory(requester=person, subject="Export fails", body="The export fails.")
    duplicate = TicketFactory(requester=person, subject="Export fails", body="The export fails!")
    TicketMessageFactory(ticket=duplicate, author_kind="customer", body="Any news?")
    page = signed_in(staff_support).get(f"/support/tickets/{target.pk}/analyse/")
    assert page.status_code == 405
    signed_in(staff_support).post(f"/support/tickets/{target.pk}/analyse/")
    page = signed_in(staff_support).get(f"/support/tickets/{target.pk}/").content.decode()
    assert f'data-merge="{duplicate.pk}"' in page
    response = signed_in(staff_support).post(
        f"/support/tickets/{target.pk}/merge/", {"duplicate": duplicate.pk}
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=duplicate.pk).status == "closed"
    bodies = list(target.messages.values_list("body", flat=True))
    assert "Any news?" in bodies
    assert any(b.startswith(f"(merged from #{duplicate.pk}") for b in bodies)
    assert AuditEntry.objects.filter(action="ticket.merge", target_id=str(target.pk)).exists()


def test_merges_that_make_no_sense_are_refused(staff_support, staff_analyst):
    a, b = TicketFactory(), TicketFactory()
    client = signed_in(staff_support)
    other = client.post(f"/support/tickets/{a.pk}/merge/", {"duplicate": b.pk})
    assert other.status_code == 400
    self_merge = client.post(
        f"/api/v1/support/tickets/{a.pk}/merge",
        data=json.dumps({"duplicate": a.pk}),
        content_type="application/json",
    )
    assert self_merge.status_code == 400
    assert "into itself" in self_merge.json()["detail"]
    refused = signed_in(staff_analyst).post(f"/support/tickets/{a.pk}/merge/", {"duplicate": b.pk})
    assert refused.status_code == 403
    assert Ticket.objects.filter(status="closed").count() == 0
