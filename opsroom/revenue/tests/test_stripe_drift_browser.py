"""A billing specialist finds a customer's drift from Stripe in a real browser: from the
integration debugger by Stripe customer id, and from the person's page."""

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.core.tests.http_stub import http_stub
from opsroom.revenue.tests.stripe_standin import StripeStandIn, ana_in_opsroom, stripe_in_sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_drift_is_one_click_from_the_debugger_and_the_person(
    live_server, page, staff_billing, settings
):
    ana = ana_in_opsroom()
    stripe = StripeStandIn()
    stripe_in_sync(stripe)
    stripe.subscriptions[0]["cancel_at_period_end"] = True  # the webhook never arrived
    with http_stub(stripe.handle) as stub:
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        browser_sign_in(page, live_server, staff_billing.username)

        page.goto(f"{live_server.url}/debug/deliveries/")
        page.click("[data-link=stripe-drift]")
        page.wait_for_url(f"{live_server.url}/revenue/stripe-drift/")
        page.fill("#drift-q", "cus_ana")
        page.click("form.filters button[type=submit]")

        expect(page.locator("[data-drift-state]")).to_have_attribute("data-drift-state", "drift")
        row = page.locator("[data-table=differences] tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("cancel_at_period_end")
        expect(row).to_contain_text("sub_ana")

        page.goto(f"{live_server.url}/people/{ana.pk}/")
        page.click("[data-link=stripe-drift]")
        expect(page.locator("h1")).to_contain_text("Ana Lima")
        expect(page.locator("[data-table=differences]")).to_contain_text("cancel_at_period_end")
