from datetime import timedelta

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.tests.factories import ErrorEventFactory


@pytest.fixture
def small_world(db):
    monthly = PlanFactory(provider_price_id="price_m", amount=2900, interval="month")
    annual = PlanFactory(provider_price_id="price_y", amount=24000, interval="year")
    SubscriptionFactory(plan=monthly)
    SubscriptionFactory(plan=annual)
    SubscriptionFactory(plan=monthly, status="trialing")
    SubscriptionFactory(plan=monthly, status="canceled", ended_at=clock.now() - timedelta(days=3))
    TicketFactory(status="open")
    TicketFactory(status="solved")
    ErrorEventFactory(occurred_at=clock.now())
    ErrorEventFactory(occurred_at=clock.now() - timedelta(days=2))
    PersonFactory()


@pytest.mark.django_db
def test_home_shows_the_headline_figures(small_world, staff_analyst):
    response = signed_in(staff_analyst).get("/")
    assert response.status_code == 200
    figures = response.context["figures"]
    # 4 subscribers + 2 requesters + 2 error reporters + 1 more
    assert figures["people"] == 9
    assert figures["active_subscriptions"] == 3
    assert figures["paying_subscriptions"] == 2
    assert figures["mrr"] == "$49"  # 29 + 240 / 12
    assert figures["open_tickets"] == 1
    assert figures["errors_today"] == 1
    assert figures["chart"]["mrr"][-1] == 49.0
    assert len(figures["chart"]["labels"]) == 12


@pytest.mark.django_db
def test_health_is_public_and_checks_the_database(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
