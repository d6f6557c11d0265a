"""An admin defines an onboarding funnel, reads where people drop and who they are."""

import itertools
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.analytics.models import Funnel
from opsroom.analytics.tasks import funnel_compute_task
from opsroom.core import clock
from opsroom.people.models import Event
from opsroom.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STEPS = ["signup_completed", "kid_profile_created", "meal_plan_created"]


def test_an_admin_defines_a_funnel_and_finds_who_dropped(page, live_server, staff_admin):
    start = clock.now() - timedelta(days=3)
    keys = itertools.count()
    events = []
    for i in range(6):
        person = PersonFactory(name=f"Parent {i}", attributes={"platform": "ios"},
                               signed_up_at=start)  # fmt: skip
        done = STEPS if i < 2 else STEPS[:2] if i < 4 else STEPS[:1]
        events += [
            Event(person=person, name=name, occurred_at=start + timedelta(hours=k),
                  idempotency_key=f"b{next(keys)}")
            for k, name in enumerate(done)
        ]  # fmt: skip
    Event.objects.bulk_create(events)
    browser_sign_in(page, live_server, staff_admin.username)

    page.goto(f"{live_server.url}/analytics/")
    page.click("text=Funnels")
    form = page.locator('form[data-form="funnel"]')
    form.locator("[name=name]").fill("Onboarding")
    form.locator("[name=steps]").fill("\n".join(STEPS))
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-pending]")).to_be_visible()
    funnel_compute_task.call(funnel_id=Funnel.objects.get().pk)  # the worker's job
    page.reload()

    expect(page.locator('tr[data-step="0"]')).to_contain_text("6")
    expect(page.locator('tr[data-step="1"]')).to_contain_text("66.7%")
    expect(page.locator('tr[data-step="2"]')).to_contain_text("33.3%")
    page.locator('tr[data-step="1"] a', has_text="2 people").click()
    dropped = page.locator("[data-dropped]")
    expect(dropped).to_contain_text("Parent 2")
    expect(dropped).to_contain_text("Parent 3")
    expect(dropped).not_to_contain_text("Parent 0")
