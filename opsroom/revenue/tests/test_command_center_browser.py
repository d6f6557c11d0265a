"""The issue's "done when", in a real browser: the billing specialist opens the command center
and reads MRR, its change, the MRR at risk, the failed payments and the top risk factor from
one screen, then opens an at-risk customer and offers a free month."""

from datetime import timedelta

import pytest

from conftest import browser_sign_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.models import ChurnPrediction, PaymentCase, RiskAction
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_billing_specialist_reads_the_day_and_offers_a_free_month(
    live_server, page, staff_billing
):
    now = clock.now()
    plan = PlanFactory(provider_price_id="price_family", code="family", amount=2900)
    hana = PersonFactory(name="Hana Quill", email="hana@example.com")
    bo = PersonFactory(name="Bo Ferrant", email="bo@example.com")
    newcomer = PersonFactory(name="Noor Vale", email="noor@example.com")
    for person, days in ((hana, 90), (bo, 90), (newcomer, 10)):
        SubscriptionFactory(
            person=person,
            plan=plan,
            started_at=now - timedelta(days=days),
            current_period_start=now - timedelta(days=5),
            current_period_end=now + timedelta(days=25),
        )
    mrr_ledger_update()
    ChurnPrediction.objects.create(
        person=hana,
        probability=0.82,
        band="high",
        rule_probability=0.6,
        source="rule",
        factors=[{"feature": "days_since_login", "value": 20.0, "reference": 1.0,
                  "contribution": 0.3}],
        signals={"days_since_login": 20.0},
        mrr=2900,
    )  # fmt: skip
    PaymentCase.objects.create(
        key="charge:1",
        person=bo,
        amount=2900,
        mrr=2900,
        first_failed_at=now - timedelta(days=3),
        last_failed_at=now - timedelta(days=3),
        decline_code="insufficient_funds",
        bucket="retry_later",
    )

    browser_sign_in(page, live_server, staff_billing.username)
    page.goto(f"{live_server.url}/revenue/")
    assert "$87" in page.locator("[data-figure=mrr] .value").inner_text()
    assert "+$29" in page.locator("[data-figure=mrr] .hint").inner_text()  # the newcomer
    assert "$29" in page.locator("[data-figure=at_risk_mrr] .value").inner_text()
    assert (
        "1 customers at high or medium risk"
        in page.locator("[data-figure=at_risk_mrr]").inner_text()
    )
    assert page.locator("[data-figure=failed_payments] .value").inner_text().strip() == "1"
    assert "Days since login" in page.locator("[data-figure=top_risk_factor] .value").inner_text()

    page.click("[data-figure=at_risk_mrr] a")
    page.click("#at-risk a:has-text('Hana Quill')")
    assert "82" in page.locator("[data-figure=probability]").inner_text()
    page.select_option("#id_kind", "free_month")
    page.fill("#id_note", "Offered on the phone")
    page.click("#act button[type=submit]")
    assert "Free month offered: recorded." in page.locator(".messages").inner_text()
    action = RiskAction.objects.get(person=hana)
    assert action.kind == "free_month"
    assert action.staff_id == staff_billing.pk
    assert AuditEntry.objects.filter(action="revenue.risk_free_month", actor=staff_billing).exists()
    subscription = hana.subscriptions.get()
    assert subscription.discount_percent == 100  # not a Stripe customer: recorded at once
    assert subscription.discount_ends_at is not None
