"""An admin finds an error spike on the anomalies page with what else moved and the release
that shipped, reads the metric's chart and snoozes its alerts; an analyst reads, not tunes."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.analytics.anomaly.metrics import bucket_floor
from opsroom.analytics.models import MetricWatch
from opsroom.analytics.services.anomalies import anomalies_detect
from opsroom.analytics.tests.test_anomaly_watch import anomaly_world
from opsroom.core import clock
from opsroom.core.models import AuditEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spiked():
    spike_at = bucket_floor(clock.now(), "hour") - timedelta(hours=1)
    anomaly_world(spike_at=spike_at)
    anomalies_detect()
    return spike_at


def test_an_admin_reads_an_anomaly_and_snoozes_its_metric(page, live_server, staff_admin, spiked):
    browser_sign_in(page, live_server, staff_admin.username)

    page.goto(f"{live_server.url}/analytics/")
    page.click("text=Anomalies")
    row = page.locator('[data-table="anomalies"] tr[data-anomaly="errors"]')
    expect(row).to_contain_text("Errors per hour")
    expect(row).to_contain_text("Above expected")
    expect(row).to_contain_text("API server errors (5xx) per hour")
    expect(row).to_contain_text("api@2")
    expect(row).to_contain_text("alerted")

    row.locator("a", has_text="Errors per hour").click()
    expect(page.locator("h1")).to_have_text("Errors per hour")
    expect(page.locator("svg[data-chart] circle[data-mark]").first).to_be_attached()
    snooze = page.locator('form[data-snooze="errors"]')
    snooze.locator("select[name=hours]").select_option("24")
    snooze.locator("button", has_text="Snooze").click()

    expect(page.locator("body")).to_contain_text("Errors per hour: no alerts until")
    expect(page.locator('form[data-snooze="errors"] button')).to_have_text("End snooze")
    assert MetricWatch.objects.get(key="errors").snoozed_until is not None
    assert AuditEntry.objects.filter(action="metric_watch.snooze", actor=staff_admin).exists()


def test_an_analyst_reads_but_cannot_tune(page, live_server, staff_analyst, spiked):
    browser_sign_in(page, live_server, staff_analyst.username)

    page.goto(f"{live_server.url}/analytics/anomalies/")

    expect(page.locator('tr[data-anomaly="errors"]').first).to_be_visible()
    expect(page.locator("form[data-snooze]")).to_have_count(0)
    expect(page.locator("form[data-tune]")).to_have_count(0)
