"""A real browser on a small demo world: open a demo user and read the standard answers from
their page alone, each checked against the database rows behind it."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from conftest import browser_sign_in
from opsroom.core import clock
from opsroom.core.money import money_format
from opsroom.experiments.models import Exposure
from opsroom.people.models import Event, Person
from opsroom.people.snapshot import OFF_VARIANTS
from opsroom.revenue.models import Subscription
from opsroom.support.models import Ticket
from opsroom.telemetry.models import ErrorEvent
from opsroom.user360.models import PersonHealth
from opsroom.user360.services.health import health_settings_get

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_user(now, client):
    """A paying demo user with the most to read: recent errors, open tickets, an insight."""
    paying = Subscription.objects.filter(
        status="active", cancel_at_period_end=False, mrr_amount__gt=0
    ).values_list("person_id", flat=True)
    people = (
        Person.objects.filter(pk__in=paying)
        .annotate(
            recent_errors=Count(
                "errors", filter=Q(errors__occurred_at__gte=now - timedelta(days=7))
            ),
            open_tickets=Count("tickets", filter=Q(tickets__status__in=Ticket.OPEN_STATUSES)),
        )
        .order_by("-recent_errors", "-open_tickets", "pk")
    )
    for person in people:
        if client.get(f"/api/v1/people/{person.pk}/insights").json():
            return person
    raise AssertionError("the demo world has no paying user with an insight")


def _flags_on(person):
    """The flags whose latest served variant is an 'on' one."""
    latest = {}
    for exposure in Exposure.objects.filter(person=person).select_related("flag"):
        current = latest.get(exposure.flag.key)
        if current is None or exposure.last_exposed_at > current.last_exposed_at:
            latest[exposure.flag.key] = exposure
    return sorted(key for key, e in latest.items() if e.variant.lower() not in OFF_VARIANTS)


def test_an_operator_reads_a_demo_users_page(live_server, page, staff_support, client):
    call_command("opsroom_demo", people=150, months=3, seed=1, verbosity=0)
    call_command("people_refresh", verbosity=0)
    now = clock.now()
    client.force_login(staff_support)
    person = _demo_user(now, client)
    subscription = Subscription.objects.get(person=person, status="active")
    login_events = health_settings_get().login_events
    last_login = (
        Event.objects.filter(person=person, name__in=login_events)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )

    browser_sign_in(page, live_server, staff_support.username)
    page.goto(f"{live_server.url}/people/{person.pk}/")

    def fact(name):
        return page.locator(f"[data-fact={name}] dd").inner_text().strip()

    if last_login is None:
        assert fact("last-login") == "never"
    else:
        assert fact("last-login").endswith(f"{last_login:%b} {last_login.day}")
    open_tickets = Ticket.objects.filter(requester=person, status__in=Ticket.OPEN_STATUSES).count()
    assert fact("open-tickets") == str(open_tickets)
    # Errors and fatals count; warnings are shown on the timeline but are not errors.
    errors = ErrorEvent.objects.filter(
        person=person, occurred_at__gte=now - timedelta(days=7), level__in=("error", "fatal")
    )
    assert fact("errors-7d") == str(errors.count())
    assert fact("mrr") == money_format(subscription.mrr_amount, subscription.currency)
    end = subscription.current_period_end
    # The charge is the price x quantity, less a discount still running on that day (the demo
    # gives some customers a percentage off for a few months).
    charge = subscription.amount * subscription.quantity
    if subscription.discount_ends_at is None or end < subscription.discount_ends_at:
        charge = round(charge * (100 - subscription.discount_percent) / 100)
        charge -= subscription.discount_amount
    amount = money_format(max(charge, 0), subscription.currency)
    assert fact("next-charge") == f"{end:%b} {end.day}, {end.year} {amount}"
    flags = fact("flags-on")
    assert (flags.split() if flags != "none" else []) == _flags_on(person)

    # The top insight, with numbers as evidence and a recommended action; the health score
    # comes from the refresh (not computed on the fly).
    top = page.locator("[data-insight-rank='1']")
    title = top.locator(".title").inner_text().strip()
    assert re.search(r"\d", title + top.locator(".evidence").inner_text())
    assert top.locator(".recommend").inner_text().startswith("Recommended:")
    insights = client.get(f"/api/v1/people/{person.pk}/insights").json()
    assert title == insights[0]["title"]
    assert PersonHealth.objects.filter(person=person).exists()
