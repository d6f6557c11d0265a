"""An admin sets the monthly AI budget and an endpoint's daily limit from the AI cost page,
sees the spend by model and the endpoint throttled; the host app's limits endpoint agrees."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.analytics.models import AiCostLimit
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.telemetry.models import AiUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GENERATE = "POST /api/recipes/generate"


def test_an_admin_sets_a_budget_and_a_limit(page, live_server, staff_admin):
    now = clock.now()
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    AiUsage.objects.bulk_create(
        AiUsage(usage_id=f"u{k}", occurred_at=today - timedelta(days=k), model="gpt-4o-mini",
                endpoint=GENERATE, feature="recipes", cost_micros=1_000_000)
        for k in range(10)
    )  # fmt: skip
    browser_sign_in(page, live_server, staff_admin.username)

    page.goto(f"{live_server.url}/analytics/")
    page.click("text=AI cost")
    expect(page.locator('[data-breakdown="model"]')).to_contain_text("gpt-4o-mini")
    form = page.locator('form[data-form="limit"]')
    form.locator("input[name=amount]").fill("1000000")
    form.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Monthly budget set to 1,000,000.00.")
    expect(page.locator("[data-warning-none]")).to_contain_text("within the budget")

    form.locator("input[name=endpoint]").fill(GENERATE)
    form.locator("input[name=amount]").fill("0.5")
    form.locator("button[type=submit]").click()

    row = page.locator(f'tr[data-limit="{GENERATE}"]')
    expect(row).to_contain_text("throttled")
    expect(row).to_contain_text("1.00")
    assert AiCostLimit.objects.get(endpoint=GENERATE).amount_micros == 500_000
    assert AuditEntry.objects.filter(action="ai_cost_limit.set", actor=staff_admin).count() == 2
    answer = page.request.get(f"{live_server.url}/api/v1/ai/limits").json()
    [limit] = answer["limits"]
    assert (limit["endpoint"], limit["period"], limit["limit"], limit["spent"]) == (
        GENERATE,
        "day",
        0.5,
        1.0,
    )
    assert (limit["throttled"], limit["flag"]) == (True, "ai-limit-post-api-recipes-generate")
    flags = page.request.get(f"{live_server.url}/api/v1/flags").json()["flags"]
    assert {flag["key"]: flag["enabled"] for flag in flags}[limit["flag"]] is True
