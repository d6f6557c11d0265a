"""Tickets against errors: a ticket lists the error groups its requester hit in the 48 hours
before it, linked to each group's page (which lists the tickets back)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from conftest import signed_in
from opsroom.core.clock import clock_frozen_at
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.models import ErrorEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)
SLASHED = "TypeError in /api/kids/{id}"


@pytest.fixture
def tickets():
    ann, bo = PersonFactory(name="Ann"), PersonFactory(name="Bo")
    opened = NOW - timedelta(days=1)
    for k, (person, hours_before, fingerprint) in enumerate(
        [(ann, 2, "food-log-none"), (ann, 3, "food-log-none"), (ann, 60, "old-one"),
         (ann, -1, "after-ticket"), (bo, 1, SLASHED)]
    ):  # fmt: skip
        ErrorEvent.objects.create(
            event_id=f"e{k}", fingerprint=fingerprint, title=f"{fingerprint} failed",
            endpoint="POST /api/food", person=person,
            occurred_at=opened - timedelta(hours=hours_before),
        )  # fmt: skip
    return {
        "ann": TicketFactory(requester=ann, subject="Food log broken", created_at=opened),
        "bo": TicketFactory(requester=bo, subject="Kids page", created_at=opened),
        "cy": TicketFactory(requester=PersonFactory(name="Cy"), subject="Export?",
                            created_at=opened),
    }  # fmt: skip


def _get(client, **params):
    with clock_frozen_at(NOW):
        return client.get(reverse("analytics:tickets_errors"), params)


def test_a_ticket_lists_its_requesters_errors_just_before_it(tickets, staff_analyst):
    html = _get(signed_in(staff_analyst)).content.decode()

    ann_row = html[html.index(f'data-ticket="{tickets["ann"].pk}"') :]
    ann_row = ann_row[: ann_row.index("</tr>")]
    assert 'data-error="food-log-none"' in ann_row
    assert "\u00d72" in ann_row  # two occurrences
    assert "old-one" not in ann_row
    assert "after-ticket" not in ann_row
    assert reverse("analytics:error_detail", args=["food-log-none"]) in ann_row
    assert reverse("analytics:error_detail", args=[SLASHED]) in html
    assert "2 of them follow an error" in html


def test_only_tickets_after_an_error(tickets, staff_analyst):
    html = _get(signed_in(staff_analyst), only="errors").content.decode()

    assert f'data-ticket="{tickets["ann"].pk}"' in html
    assert f'data-ticket="{tickets["cy"].pk}"' not in html


def test_a_slashed_fingerprint_has_its_page(tickets, staff_analyst):
    response = signed_in(staff_analyst).get(reverse("analytics:error_detail", args=[SLASHED]))

    assert response.status_code == 200


@pytest.mark.parametrize("days", ["0", "x", "3", "1\x00"])
def test_bad_days_are_a_400(staff_analyst, days):
    response = _get(signed_in(staff_analyst), days=days)

    assert response.status_code == 400
    assert "days is one of" in response.content.decode()
