"""An operator finds a failing webhook from the debug page and reads its payload."""

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.telemetry.services import delivery_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_finds_a_rejected_delivery_and_its_payload(live_server, page, staff_support):
    delivery_record(source="stripe", outcome="processed", event_type="invoice.paid")
    delivery_record(
        source="sentry",
        outcome="rejected",
        error="Bad signature.",
        payload={"action": "created", "token": "s3cr3t"},
    )
    browser_sign_in(page, live_server, staff_support.username)
    page.goto(f"{live_server.url}/debug/")
    page.click("text=Webhook deliveries and integration status")
    page.select_option("#id_outcome", "rejected")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    rows = page.locator("table.data").nth(1).locator("tbody tr")
    expect(rows).to_have_count(1)
    assert "Bad signature." in rows.first.inner_text()
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    payload = page.locator("pre").last.inner_text()
    assert '"action": "created"' in payload
    assert "s3cr3t" not in payload
