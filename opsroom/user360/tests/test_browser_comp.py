"""A comp end to end in a real browser: the form, the confirmation, the Stripe calls (a local
stub), the card and the audit entry all name the same subscription and the same end date."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.tests.http_stub import http_stub
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Subscription
from opsroom.revenue.services import billing_customer_upsert_many
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory
from opsroom.revenue.tests.stripe_fake import FakeStripe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe(settings):
    fake = FakeStripe()
    with http_stub(fake.handle) as stub:
        fake.stub = stub
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        yield fake


def test_a_comp_makes_their_current_subscription_free_and_everything_says_so(
    live_server, page, staff_billing, stripe
):
    jane = PersonFactory(name="Jane Doe", email="jane@example.com")
    billing_customer_upsert_many(rows=[{"provider_customer_id": "cus_jane", "person_id": jane.pk}])
    family = PlanFactory(code="family", name="Family monthly", amount=1999)
    PlanFactory(code="premium", name="Premium monthly", amount=2900)
    SubscriptionFactory(
        person=jane,
        plan=family,
        provider="stripe",
        provider_subscription_id="sub_jane",
        current_period_end=clock.now() + timedelta(days=14),
    )

    browser_sign_in(page, live_server, staff_billing.username)
    page.goto(f"{live_server.url}/people/{jane.pk}/")
    page.click("[data-action=comp]")
    # They have a subscription: the form offers no plan to pick, it names theirs.
    expect(page.locator("select[name=plan]")).to_have_count(0)
    expect(page.locator("form.action-form")).to_contain_text("Family monthly")
    page.fill("input[name=months]", "3")
    page.fill("input[name=reason]", "Sorry for the outage last week")
    page.click("form.action-form button[type=submit]")

    summary = page.locator("[data-confirm-step]")
    expect(summary).to_contain_text("Their current subscription: Family monthly")
    expect(summary).to_contain_text("$19.99 each")
    until = Subscription.objects.get(provider_subscription_id="sub_jane").current_period_end
    page.click("[data-confirm-step] button[type=submit]")

    page.wait_for_url(f"{live_server.url}/people/{jane.pk}/")
    expect(page.locator(".messages")).to_contain_text("Family monthly is free until")
    card = page.locator("[data-card=subscription]")
    expect(card).to_contain_text("complimentary")
    expect(card.locator("[data-comp-until]")).not_to_be_empty()
    expect(page.locator("[data-fact=mrr] dd")).to_have_text("$0.00")

    # Stripe got one coupon, applied to the subscription they already had.
    assert list(stripe.subscriptions) == ["sub_jane"]
    assert stripe.subscriptions["sub_jane"]["coupon"] == next(iter(stripe.coupons))
    sub = Subscription.objects.get(provider_subscription_id="sub_jane")
    assert (sub.plan_id, sub.is_complimentary, sub.mrr_amount) == (family.pk, True, 0)
    assert sub.current_period_end == until
    entry = AuditEntry.objects.get(action="subscription.comp_grant")
    assert entry.params["plan"] == "family"
    assert entry.params["until"] == f"{sub.discount_ends_at:%Y-%m-%d}"
    assert entry.params["applied_via"] == "stripe"
