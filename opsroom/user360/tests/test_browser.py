"""A real browser: find a user by typing, then read the standard answers from their page alone."""

import time

import pytest

from conftest import browser_sign_in
from opsroom.user360.tests.world import jane

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _until(check, timeout=10.0):
    """Poll from Python: the page's CSP forbids the eval that wait_for_function needs."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_an_operator_finds_jane_and_reads_her_page(live_server, page, staff_support):
    world = jane()
    browser_sign_in(page, live_server, staff_support.username)
    page.goto(f"{live_server.url}/people/")
    page.fill("#people-query input[name=q]", "jane")
    page.wait_for_selector("text=1 match for “jane”")
    page.click("text=Jane Doe")
    page.wait_for_url(f"{live_server.url}/people/{world.person.pk}/")

    def fact(name):
        return page.locator(f"[data-fact={name}] dd").inner_text().strip()

    assert fact("last-login").startswith("8 days ago")
    assert fact("open-tickets") == "0"
    assert fact("errors-7d") == "3"
    assert fact("mrr") == "$29.00"
    assert fact("next-charge").endswith("$29.00")
    assert fact("flags-on").split() == ["ai_coach_v2", "new_recipe_ui"]
    top = page.locator("[data-insight-rank='1'] .title").inner_text()
    assert top in (
        "Hasn't logged in for 8 days (unusual for this person)",
        "3 errors in the last 7 days on POST /api/recipes/generate",
        "Renews in 5 days ($29.00) with low engagement",
    )
    # The health sparkline needs history; the components are there with their figures.
    assert "core features" in page.locator("[data-component=adoption]").inner_text()

    # HTMX parts work under the content security policy: load more, filter, ask.
    before = page.locator(".tl-item").count()
    page.click("[data-load-more]")
    _until(lambda: page.locator(".tl-item").count() > before)
    page.check("input[name=kind][value=error]")
    _until(
        lambda: (
            set(page.locator(".tl-item[data-kind]").evaluate_all("l => l.map(e => e.dataset.kind)"))
            == {"error"}
        )
    )
    page.click("[data-tab=debug]")
    page.click("[data-debug=api-calls] > summary")
    page.click(".api-call > summary")
    page.wait_for_selector("text=Request (redacted)")
    assert "[redacted]" in page.locator(".api-call .payloads").inner_text()
    page.fill("input[name=question]", "what errors did she hit?")
    page.click("form.ask button")
    page.wait_for_selector("[data-answer-note]")
    assert "TimeoutError" in page.locator("[data-answer]").inner_text()


def test_quick_filters_and_the_condition_builder(live_server, page, staff_support):
    jane()
    browser_sign_in(page, live_server, staff_support.username)
    page.goto(f"{live_server.url}/people/")
    page.click("[data-quick=vip]")
    page.wait_for_selector("text=0 people")
    page.click("label.chip:has-text('Everyone')")
    page.wait_for_selector("text=1 person")
    page.click("summary:has-text('Advanced filters')")
    page.click("text=+ Add condition")
    page.select_option(".condition select[name=field]", "mrr")
    page.select_option(".condition select[name=op]", "gt")
    page.fill(".condition input[name=value]", "lots")
    page.click("text=Apply")
    page.wait_for_selector("[data-filter-error]")
    assert "'lots' is not an amount" in page.locator("[data-filter-error]").inner_text()
    page.fill(".condition input[name=value]", "20")
    page.click("text=Apply")
    # "1 person" may still be on the page from before: wait for the error to go first.
    page.wait_for_selector("[data-filter-error]", state="detached")
    page.wait_for_selector("text=1 person")
