"""The support dashboard and metrics: a period against the one before, trending by a test."""

from datetime import timedelta

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.support.models import AutomationRun, ReplySuggestion
from opsroom.support.selectors.metrics import period_figures, top_issues
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_stands_still():
    """The durations are compared to the second; writing a ticket (and its SLA) takes time."""
    with clock.clock_frozen_at(clock.now()):
        yield


def _ticket(hours_ago, **fields):
    created = clock.now() - timedelta(hours=hours_ago)
    return TicketFactory(created_at=created, updated_at=created, **fields)


def test_volumes_times_csat_and_draft_quality():
    now = clock.now()
    auto = _ticket(5, status="solved", resolved_at=now - timedelta(hours=5) + timedelta(seconds=30))
    AutomationRun.objects.create(
        ticket=auto, intent="invoice_request", mode="automatic", outcome="resolved",
        created_at=auto.created_at + timedelta(seconds=30),
    )  # fmt: skip
    assisted = _ticket(10, first_response_at=now - timedelta(hours=9), satisfaction_rating=5)
    ReplySuggestion.objects.create(
        ticket=assisted, body="x", outcome="used", decided_at=now - timedelta(minutes=1)
    )
    manual = _ticket(20, first_response_at=now - timedelta(hours=4), satisfaction_rating=3)
    ReplySuggestion.objects.create(
        ticket=manual, body="y", outcome="rejected", decided_at=now - timedelta(minutes=1)
    )
    _ticket(24 * 40)  # the period before
    figures = period_figures(start=now - timedelta(days=30), end=now)
    assert (figures.total, figures.auto_resolved, figures.ai_assisted, figures.manual) == (
        3,
        1,
        1,
        1,
    )
    assert figures.first_response.mean_hours == pytest.approx(8.5)
    assert figures.first_response.median_hours == pytest.approx(8.5)
    assert figures.first_response_met == 0.5  # 1 h within 12 h; 16 h late
    assert figures.csat == 4.0
    assert figures.suggestion_acceptance == 0.5
    assert figures.auto_resolution_seconds == pytest.approx(30)
    before = period_figures(start=now - timedelta(days=60), end=now - timedelta(days=30))
    assert before.total == 1


def test_trending_only_when_unusual():
    now = clock.now()
    for week in range(1, 5):  # four tickets a week about billing before
        for i in range(4):
            _ticket(24 * 7 * week + 24 + i, category="billing")
    for i in range(5):  # five this week: ordinary
        _ticket(2 + i, category="billing")
    for i in range(6):  # six bugs this week after none: unusual
        _ticket(2 + i, category="bug")
    issues = {issue.category: issue for issue in top_issues(now=now)}
    assert issues["billing"].this_week == 5
    assert issues["billing"].weekly_baseline == 4
    assert not issues["billing"].is_trending
    assert issues["bug"].is_trending


def test_the_page_and_the_api(staff_analyst):
    _ticket(3, category="bug")
    client = signed_in(staff_analyst)
    page = client.get("/support/dashboard/?days=7").content.decode()
    assert 'data-issue="bug"' in page
    assert client.get("/support/dashboard/?days=5").status_code == 400
    body = client.get("/api/v1/support/metrics?days=7").json()
    assert body["current"]["total"] == 1
    assert body["top_issues"][0]["category"] == "bug"
    assert client.get("/api/v1/support/metrics?days=0").status_code == 400
