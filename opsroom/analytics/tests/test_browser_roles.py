"""Every analytics tool, opened from the Analytics page by each role: it loads, and only the
roles allowed to change something see a form that does."""

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.analytics.services.anomalies import anomalies_detect
from opsroom.analytics.services.cohorts import cohorts_refresh
from opsroom.analytics.services.performance import endpoint_performance_refresh
from opsroom.analytics.tests.test_anomaly_watch import anomaly_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHANGING = "form[data-tune], form[data-snooze], form[data-form=limit], form[data-form=funnel]"


@pytest.fixture
def world():
    anomaly_world()
    anomalies_detect()
    endpoint_performance_refresh()
    cohorts_refresh()


@pytest.mark.parametrize(
    ("role", "changes"),
    [("staff_admin", True), ("staff_analyst", False), ("staff_support", False)],
)
def test_each_tool_opens_for_each_role(page, live_server, world, request, role, changes):
    user = request.getfixturevalue(role)
    browser_sign_in(page, live_server, user.username)
    page.goto(f"{live_server.url}/analytics/")
    links = page.locator("ul.tools a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 9

    seen_changing = False
    for href in hrefs:
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None
        assert response.status == 200, href
        expect(page.locator("h1")).to_be_visible()
        seen_changing |= page.locator(CHANGING).count() > 0

    assert seen_changing is changes
    response = page.goto(f"{live_server.url}/debug/trace/")
    assert response is not None
    assert response.status == 200
