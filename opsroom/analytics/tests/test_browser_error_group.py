"""The planted bug, from one page: an analyst opens its error group and reads the people it
reached, their tickets, the release that brought it and the one that fixed it, and what it did
to conversion and retention; then a failing request is replayed against a staging stub."""

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import browser_sign_in
from opsroom.analytics.tasks import error_spread_hourly
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.tests.http_stub import http_stub
from opsroom.people.models import ActivityDaily
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.models import ApiRequest, ErrorEvent, RequestReplay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROUTE = "/api/kids/{id}/food-attempts"
BUG, FIX = "api@3.40.0", "api@3.40.1"


def _planted_bug():
    """Android families with allergic kids hit the bug after BUG ships; FIX stops it."""
    now = clock.now()
    bug_from, fix_from = now - timedelta(days=9), now - timedelta(days=1)
    affected = [
        PersonFactory(name=f"Allergy Family {i}", attributes={"platform": "android"})
        for i in range(6)
    ]
    others = [PersonFactory(attributes={"platform": "ios"}) for _ in range(30)]
    n = 0
    for i, person in enumerate(affected):
        for k in range(3):
            at = bug_from + timedelta(hours=5 + 20 * i + k)
            n += 1
            ApiRequest.objects.create(
                request_id=f"req-bug-{n}", person=person, method="POST", route=ROUTE,
                path=f"/api/kids/kid_{i}/food-attempts", status=500, duration_ms=80,
                request_body=json.dumps({"food": "peanut", "reaction": "refused"}),
                response_body=json.dumps({"error": "internal_error"}), release=BUG,
                occurred_at=at,
            )  # fmt: skip
            ErrorEvent.objects.create(
                event_id=f"evt-bug-{n}", fingerprint="food-attempt-allergy-none",
                title="AttributeError: 'NoneType' object has no attribute 'severity'",
                endpoint=f"POST {ROUTE}", release=BUG, person=person, occurred_at=at,
                tags={"request_id": f"req-bug-{n}"},
            )  # fmt: skip
    for i, person in enumerate(others):
        ApiRequest.objects.create(
            request_id=f"req-ok-{i}", person=person, method="POST", route=ROUTE,
            path=f"/api/kids/kid_x{i}/food-attempts", status=201, duration_ms=60,
            release=BUG, occurred_at=bug_from + timedelta(hours=3 + i),
        )  # fmt: skip
        for day in range(1, 8):
            ActivityDaily.objects.create(
                person=person, day=(bug_from + timedelta(hours=3 + i, days=day)).date(),
                name="app_open", count=1,
            )  # fmt: skip
    # The fix release serves plenty of calls, without the error.
    ApiRequest.objects.bulk_create(
        ApiRequest(request_id=f"req-fix-{i}", person=others[i % 30], method="GET",
                   route="/api/me", status=200, duration_ms=20, release=FIX,
                   occurred_at=fix_from + timedelta(minutes=i))
        for i in range(60)
    )  # fmt: skip
    TicketFactory(requester=affected[0], subject="App crashes when I log a food for Emma",
                  created_at=bug_from + timedelta(hours=8))  # fmt: skip
    TicketFactory(requester=affected[2], subject="Food log broken since the update",
                  created_at=bug_from + timedelta(hours=50))  # fmt: skip
    TicketFactory(requester=others[0], subject="How do I export my plan?",
                  created_at=bug_from + timedelta(hours=10))  # fmt: skip
    return affected


@pytest.fixture
def staging(settings):
    def handle(method, path, body):
        return 201, {"ok": True, "replayed": path}

    with http_stub(handle) as stub:
        settings.OPSROOM_REPLAY_BASE_URL = f"{stub.url}/staging"
        yield stub


def test_the_planted_bug_reads_from_one_page_and_replays_on_staging(
    live_server, page, staff_analyst, staff_admin, staging
):
    affected = _planted_bug()
    error_spread_hourly.call()

    browser_sign_in(page, live_server, staff_analyst.username)
    page.goto(f"{live_server.url}/analytics/")
    page.click("text=Errors")
    page.click("text=AttributeError: 'NoneType' object has no attribute 'severity'")

    expect(page.locator("[data-people-count]")).to_have_text("6")
    people = page.locator("[data-table=people]")
    for person in affected:
        expect(people).to_contain_text(person.name)
    tickets = page.locator("[data-table=tickets]")
    expect(tickets).to_contain_text("App crashes when I log a food for Emma")
    expect(tickets).to_contain_text("Food log broken since the update")
    expect(tickets).not_to_contain_text("How do I export my plan?")
    expect(page.locator("[data-introduced]")).to_have_text(BUG)
    expect(page.locator("[data-fixed]")).to_have_text(FIX)
    retained = page.locator("[data-outcome=retained]")
    expect(retained).to_contain_text("(0/6)")
    expect(retained).to_contain_text("(30/30)")
    expect(retained).to_contain_text("-100.0%")
    expect(page.locator("[data-outcome=paying]")).to_be_visible()
    # The analyst reads; replaying is for admins.
    page.locator("[data-request-link]").first.click()
    expect(page.locator("[data-replay]")).to_contain_text("Only admins may replay")

    page.context.clear_cookies()
    browser_sign_in(page, live_server, staff_admin.username)
    page.goto(f"{live_server.url}/analytics/errors/food-attempt-allergy-none/")
    page.locator("[data-request-link]").first.click()
    expect(page.locator("#curl")).to_contain_text("curl -X POST")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=replay]")

    expect(page.locator(".messages")).to_contain_text("staging answered 201")
    expect(page.locator("[data-replay-status]")).to_have_text("201")
    expect(page.locator("[data-recorded]")).to_contain_text("internal_error")
    expect(page.locator("[data-replays]")).to_contain_text('"replayed"')
    sent = staging.requests[-1]
    assert sent["method"] == "POST"
    assert sent["path"].startswith("/staging/api/kids/kid_")
    assert json.loads(sent["body"]) == {"food": "peanut", "reaction": "refused"}
    replay = RequestReplay.objects.get()
    entry = AuditEntry.objects.get(action="api_request.replay")
    assert entry.actor == staff_admin
    assert entry.params["replay"] == replay.pk
