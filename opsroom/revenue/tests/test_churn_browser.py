"""In a real browser: a billing specialist opens an at-risk customer from the churn
dashboard and schedules a call, then marks it made."""

import pytest

from conftest import browser_sign_in
from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import ChurnPrediction, RiskAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_call_is_scheduled_from_the_dashboard_and_marked_made(live_server, page, staff_billing):
    person = PersonFactory(name="Hana Quill", email="hana@example.com")
    ChurnPrediction.objects.create(
        person=person,
        probability=0.82,
        band="high",
        rule_probability=0.6,
        source="rule",
        factors=[{"feature": "days_since_login", "value": 20.0, "reference": None,
                  "contribution": 0.3}],
        signals={"days_since_login": 20.0},
        mrr=2900,
    )  # fmt: skip
    browser_sign_in(page, live_server, staff_billing.username)
    page.goto(f"{live_server.url}/revenue/churn/")
    assert "Hana Quill" in page.locator("#review").inner_text()
    page.click("#at-risk a:has-text('Hana Quill')")
    assert "82" in page.locator("[data-figure=probability]").inner_text()
    page.select_option("#id_kind", "call")
    page.fill("#id_due_at", "2030-01-02T10:30")
    page.fill("#id_note", "Ask about the family plan")
    page.click("#act button[type=submit]")
    assert "Call scheduled: recorded." in page.locator(".messages").inner_text()
    assert "Ask about the family plan" in page.locator("[data-table=actions]").inner_text()
    page.click("[data-table=actions] button:has-text('Made')")
    assert "made" in page.locator("[data-table=actions]").inner_text()
    call = RiskAction.objects.get(person=person)
    assert call.done_at is not None
    assert call.staff_id == staff_billing.pk
    assert AuditEntry.objects.filter(action="revenue.risk_call", actor=staff_billing).count() == 1
