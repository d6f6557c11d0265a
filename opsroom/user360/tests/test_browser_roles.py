"""A real browser on a small demo world, as each role: no console error on the main pages
(the content security policy included), the refusal page, the audit list on open, and the
search box in the top bar."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.revenue.models import Subscription
from opsroom.support.models import Ticket
from opsroom.user360.services.actions import person_tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ("staff_admin", "staff_support", "staff_billing", "staff_analyst")


@pytest.fixture
def demo(django_db_blocker):
    call_command("opsroom_demo", people=120, months=3, seed=3, verbosity=0)
    call_command("people_refresh", history_days=3, verbosity=0)


def _watch(page):
    """Collect console errors and uncaught exceptions (a CSP refusal is a console error)."""
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return problems


def _paying_person():
    person_id = (
        Subscription.objects.filter(status="active", mrr_amount__gt=0)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .first()
    )
    return Person.objects.get(pk=person_id)


def test_the_main_pages_show_no_console_error_for_any_role(request, live_server, page, demo):
    problems = _watch(page)
    person = _paying_person()
    pages = ["/", "/people/", f"/people/{person.pk}/", "/people/health/", "/audit/", "/debug/"]
    for fixture in ROLES:
        user = request.getfixturevalue(fixture)
        page.context.clear_cookies()
        browser_sign_in(page, live_server, user.username)
        for path in pages + (
            ["/debug/deliveries/", "/api-keys/"] if fixture == "staff_admin" else []
        ):
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("main")).to_be_visible()
        # The HTMX parts: the person page's tabs and timeline filter, the top-bar suggestions.
        page.goto(f"{live_server.url}/people/{person.pk}/")
        page.click("[data-tab=debug]")
        expect(page.locator("#debug")).to_be_visible()
        expect(page.locator("#timeline")).to_be_hidden()
        page.click("[data-tab=timeline]")
        page.check("input[name=kind][value=product]")
        expect(page.locator(".tl-item[data-kind]").first).to_have_attribute("data-kind", "product")
        page.fill(".topsearch input", person.email[:6])
        expect(page.locator("#topsearch-suggestions [data-suggestion]").first).to_be_visible()
        # A live search after something got an inline style (a resized box does that): HTMX's
        # settling copied style attributes, which the policy refuses; it is configured not to.
        page.goto(f"{live_server.url}/people/")
        page.click(".segment-save-box summary")
        page.locator("#segment-name").evaluate("element => { element.style.width = '20rem'; }")
        page.fill("#people-query input[name=q]", person.email)
        expect(page.locator("[data-count]")).to_have_attribute("data-count", "1")
    assert problems == []


def test_a_refused_action_shows_the_apps_page_saying_what_and_why(
    live_server, page, demo, staff_analyst
):
    person = _paying_person()
    browser_sign_in(page, live_server, staff_analyst.username)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    disabled = page.locator("[data-action-disabled=email]")
    expect(disabled).to_have_attribute(
        "title", re.compile(r"^Analysts can read but not send email to a person; .+ can\.")
    )
    page.click(".bar-why summary")
    expect(page.locator("#why-email")).to_contain_text("Analysts can read but not send email")
    response = page.goto(f"{live_server.url}/people/{person.pk}/actions/email/")
    assert response.status == 403
    expect(page.locator("[data-error-status='403'] h1")).to_have_text("Not allowed")
    expect(page.locator("[data-error-message]")).to_have_text(
        "Analysts can read but not send email to a person; "
        "support agents, billing specialists and admins can. Ask an admin if you need to."
    )
    expect(page.locator("nav.mainnav")).to_be_visible()  # the app's page, not a bare 403


def test_the_audit_list_shows_the_latest_entries_on_open(live_server, page, demo, staff_admin):
    person = _paying_person()
    person_tag(
        people=[person],
        tag_names=["bug-3481"],
        audit=AuditContext(actor=staff_admin, label=staff_admin.username),
    )
    browser_sign_in(page, live_server, staff_admin.username)
    page.goto(f"{live_server.url}/audit/")
    rows = page.locator("[data-audit-list] tbody tr")
    expect(rows.first).to_contain_text("auth.login")  # signing in was the latest action
    expect(rows.nth(1)).to_contain_text("person.tag_add")
    expect(rows.nth(1).locator("dl.params")).to_have_text(re.compile(r"Tags\s*bug-3481"))
    expect(page.locator("[data-audit-count]")).to_contain_text("The latest of 2 entries")


def test_the_top_bar_finds_a_person_or_a_ticket_from_any_page(
    live_server, page, demo, staff_support
):
    person = _paying_person()
    ticket = Ticket.objects.order_by("pk").select_related("requester").first()
    browser_sign_in(page, live_server, staff_support.username)
    page.goto(f"{live_server.url}/debug/")
    box = page.locator(".topsearch input")
    box.fill(person.name)
    suggestion = page.locator(f"#topsearch-suggestions a[href='/people/{person.pk}/']")
    expect(suggestion).to_be_visible()
    box.press("ArrowDown")
    expect(page.locator("#topsearch-suggestions [data-suggestion]").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#topsearch-suggestions [data-suggestion]")).to_have_count(0)
    box.fill(person.email)  # typing again shows them again
    suggestion.click()
    expect(page).to_have_url(f"{live_server.url}/people/{person.pk}/")
    # A ticket number, then Enter: straight to its requester's tickets.
    page.locator(".topsearch input").fill(f"#{ticket.pk}")
    page.locator(".topsearch input").press("Enter")
    expect(page).to_have_url(
        f"{live_server.url}/people/{ticket.requester_id}/?kind=ticket#timeline"
    )
    # The person page's own side box suggests too.
    page.locator(".sidesearch input").fill(person.email)
    expect(page.locator(f"#side-suggestions a[href='/people/{person.pk}/']")).to_be_visible()
