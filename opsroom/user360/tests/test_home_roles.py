"""Home per role: support's queue, billing's failed payments and MRR at risk, the trends."""

from datetime import timedelta

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.revenue.tests.factories import (
    PaymentAttemptFactory,
    PlanFactory,
    SubscriptionFactory,
)
from opsroom.support.selectors import tickets_breaching
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_support_sees_their_queue_the_breaching_tickets_and_todays_new_ones(staff_support):
    now = clock.now()
    mine = TicketFactory(assignee=staff_support, status="open", subject="Mine to answer")
    late = TicketFactory(priority="urgent", created_at=now - timedelta(hours=3), subject="Late")
    TicketFactory(priority="low", created_at=now - timedelta(hours=3), subject="Within target")
    TicketFactory(  # answered; its resolution (8 hours) is not due yet
        priority="urgent",
        created_at=now - timedelta(hours=3),
        first_response_at=now - timedelta(hours=2),
    )
    response = signed_in(staff_support).get("/")
    assert response.context["order"] == ["support", "trends"]
    support = response.context["support"]
    assert [row.ticket for row in support["mine"]] == [mine]
    assert support["breaching_count"] == 1
    assert [row.ticket for row in support["breaching"]] == [late]
    page = response.content.decode()
    assert "first reply overdue by 2\xa0hours" in page  # Django's timesince: a no-break space
    assert f'href="/people/{late.requester_id}/?kind=ticket#timeline"' in page


def test_a_ticket_within_an_hour_of_its_target_is_about_to_breach():
    now = clock.now()
    TicketFactory(priority="high", created_at=now - timedelta(hours=3, minutes=30))
    TicketFactory(priority="high", created_at=now - timedelta(hours=2))
    TicketFactory(priority="high", created_at=now - timedelta(hours=5), status="pending")
    count, rows = tickets_breaching(now=now)
    assert count == 1
    assert not rows[0].is_breaching(now)  # due in 30 minutes: listed, not yet late


def test_billing_sees_failed_payments_and_mrr_at_risk_first(staff_billing):
    plan = PlanFactory(provider_price_id="price_m", amount=2000, interval="month")
    failing = SubscriptionFactory(plan=plan, status="past_due")
    PaymentAttemptFactory(person=failing.person, status="failed", decline_code="insufficient_funds")
    SubscriptionFactory(plan=plan, cancel_at_period_end=True)
    SubscriptionFactory(plan=plan)
    response = signed_in(staff_billing).get("/")
    assert response.context["order"] == ["billing", "support", "trends"]
    billing = response.context["billing"]
    assert (billing["at_risk"].delinquent_mrr, billing["at_risk"].canceling_mrr) == (2000, 2000)
    assert billing["failing_count"] == 1
    assert billing["failing"][0].person_id == failing.person_id
    assert "Insufficient funds" in response.content.decode()


def test_analysts_see_the_trends(staff_analyst):
    response = signed_in(staff_analyst).get("/")
    assert response.context["order"] == ["trends"]
    assert set(response.context["trends"]) == {"signups", "active", "mrr", "cancellations"}
    page = response.content.decode()
    assert 'data-home="trends"' in page
    assert 'data-home="support"' not in page
    assert 'data-home="billing"' not in page
