"""One snapshot: the page, the API, "ask" and a ticket's context say the same about a person."""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.money import money_format
from opsroom.people import snapshot as snapshot_module
from opsroom.people.snapshot import person_snapshot_get
from opsroom.revenue.services import subscription_upsert_many
from opsroom.support.tests.factories import TicketFactory
from opsroom.user360.selectors.ask import person_facts_gather
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _fact(content: str, name: str) -> list[str]:
    match = re.search(rf'data-fact="{name}"><dt>[^<]*</dt><dd[^>]*>(.*?)</dd>', content, re.S)
    assert match, name
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()


@pytest.fixture
def world():
    with clock.clock_frozen_at(NOW):
        person = jane(NOW).person
        # A discount that runs past the next charge: the charge is smaller than the price.
        subscription_upsert_many(
            rows=[
                {
                    "provider_subscription_id": "sub_jane",
                    "discount_percent": Decimal(50),
                    "discount_ends_at": NOW + timedelta(days=60),
                }
            ]
        )
        TicketFactory(requester=person, subject="Export fails", status="open")
        yield person


def test_page_api_ask_and_ticket_context_agree(world, staff_support):
    client = signed_in(staff_support)
    with clock.clock_frozen_at(NOW):
        snap = person_snapshot_get(person=world)
        page = client.get(f"/people/{world.pk}/").content.decode()
        api = client.get(f"/api/v1/people/{world.pk}/intelligence").json()
        facts = "\n".join(f.text for f in person_facts_gather(person=world, snapshot=snap))
        ticket_form = client.get(f"/people/{world.pk}/actions/ticket/").content.decode()

    billing = snap.billing
    mrr = money_format(billing.mrr, billing.currency)
    next_amount = money_format(billing.next_charge_amount, billing.currency)
    assert billing.next_charge_amount == 1450  # half of $29.00: the discount runs past it
    assert billing.mrr == 1450

    # The page.
    assert _fact(page, "mrr") == [mrr]
    assert _fact(page, "open-tickets") == [str(snap.support.open)] == ["1"]
    assert _fact(page, "errors-7d") == [str(snap.errors.count_7d)] == ["3"]
    assert next_amount in _fact(page, "next-charge")
    assert f"{snap.health.score}/100" in page

    # The API.
    assert api["subscription"]["mrr"] == billing.mrr
    assert api["subscription"]["mrr_display"] == mrr
    assert api["subscription"]["next_charge_amount"] == next_amount
    assert api["support"]["open_tickets"] == snap.support.open
    assert api["errors_7d"] == snap.errors.count_7d
    assert api["health"]["score"] == snap.health.score
    assert api["last_login"] == snap.activity.last_login.isoformat()
    assert [u["count_30d"] for u in api["usage_30d"]] == [
        u.count_30d for u in snap.activity.usage_30d
    ]

    # "Ask": the facts an answer cites.
    assert f"MRR {mrr}" in facts
    assert f"next charge {billing.next_charge_at:%Y-%m-%d} ({next_amount})" in facts
    assert f"Support: {snap.support.open} open of {snap.support.total} tickets" in facts
    assert f"Errors in the last 7 days: {snap.errors.count_7d}" in facts
    assert f"Last login {snap.activity.last_login}" in facts

    # The context a new ticket is opened with.
    body = html.unescape(ticket_form)
    assert f"MRR {mrr}" in body
    assert f"Health: {snap.health.score}/100" in body
    assert f"errors in 7 days: {snap.errors.count_7d}" in body
    assert f"Tickets: {snap.support.open} open of {snap.support.total}" in body


def test_the_api_ask_uses_the_same_login_events_as_the_page(world, staff_support):
    """The API's "ask" used to leave out the configured login events the page used."""
    from opsroom.user360.services.health import health_config_get

    config = health_config_get()
    config.login_event = "app_open"
    config.save()
    client = signed_in(staff_support)
    with clock.clock_frozen_at(NOW):
        answer = client.post(
            f"/api/v1/people/{world.pk}/ask",
            {"question": "when did they log in?"},
            content_type="application/json",
        ).json()
        snap = person_snapshot_get(person=world)
    assert snap.activity.login_events == ("app_open",)
    assert snap.activity.last_login is None  # jane's logins are "login" events, not app opens
    assert any("Last login never" in source["text"] for source in answer["sources"])


def test_a_missing_provider_is_a_configuration_error(world, monkeypatch):
    monkeypatch.setattr(snapshot_module.BILLING, "_provider", None)
    snapshot = person_snapshot_get(person=world)
    assert snapshot.person.id == world.pk  # the other parts still read
    with pytest.raises(ImproperlyConfigured, match="billing"):
        _ = snapshot.billing
