"""A real browser signs in as each role and reads the home figures."""

import pytest

from conftest import browser_sign_in
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.tests.factories import SubscriptionFactory
from opsroom.support.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "fixture", ["staff_admin", "staff_support", "staff_billing", "staff_analyst"]
)
def test_each_role_signs_in_and_sees_the_home_figures(request, live_server, page, fixture):
    user = request.getfixturevalue(fixture)
    SubscriptionFactory()
    TicketFactory(status="open")
    PersonFactory()
    browser_sign_in(page, live_server, user.username)
    assert page.locator("[data-figure=people] .value").inner_text() == "3"
    assert page.locator("[data-figure=active_subscriptions] .value").inner_text() == "1"
    assert page.locator("[data-figure=mrr] .value").inner_text() == "$29"
    assert page.locator("[data-figure=open_tickets] .value").inner_text() == "1"
    assert page.locator("[data-figure=errors_today] .value").inner_text() == "0"
    # The chart library loaded (no CSP violation) and drew the chart.
    page.wait_for_function("document.querySelector('#home-chart').dataset.drawn === '1'")
    nav = page.locator("nav.mainnav a").all_inner_texts()
    assert "Audit" in nav
    assert "Debug" in nav


def test_a_wrong_password_shows_an_error(live_server, page, staff_support):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", staff_support.username)
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "Please enter a correct username and password" in page.locator(".errors").inner_text()
