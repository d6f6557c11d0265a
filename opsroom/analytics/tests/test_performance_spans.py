"""The time split and N+1 suspects per endpoint and per user action, from the spans the host
app sends; the pages that show them (and what they say when only totals are sent); who may
read them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.models import ActionPerformance, EndpointPerformance
from opsroom.analytics.services.performance import endpoint_performance_refresh
from opsroom.core.clock import clock_frozen_at
from opsroom.telemetry.models import ApiRequest
from opsroom.telemetry.services import api_request_record_many
from opsroom.telemetry.spans import sql_fingerprint

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 15, 12, tzinfo=UTC)
LOOP_SQL = "SELECT * FROM recipe WHERE author_id = ?"


def _spans(repeats: int) -> list[dict[str, object]]:
    """`repeats` queries of one kind (values differ), then two others."""
    return [
        {"sql": f"SELECT * FROM recipe WHERE author_id = {i}", "duration_ms": 1.0}  # noqa: S608
        for i in range(repeats)
    ] + [
        {"sql": "SELECT * FROM feed WHERE person_id = 7", "duration_ms": 5.0},
        {"fingerprint": "count-feed", "duration_ms": 2.0},
    ]


def _request(request_id, route, *, minutes_ago, action="", **extra):
    return {
        "request_id": request_id,
        "method": "GET",
        "route": route,
        "status": 200,
        "duration_ms": 100.0,
        "occurred_at": NOW - timedelta(minutes=minutes_ago),
        "action": action,
        **extra,
    }


@pytest.fixture
def world():
    """/api/feed (action feed.open): 6 calls with 12, 14, ... 22 similar queries (suspects) and
    4 with 3. /api/plans (action plans.view): 10 calls with 9 similar queries, below the rule.
    /api/me: totals only."""
    rows = []
    for i in range(10):
        repeats = 12 + 2 * i if i < 6 else 3
        rows.append(
            _request(
                f"feed{i}",
                "/api/feed",
                minutes_ago=10 + i,
                action="feed.open",
                db_time_ms=40.0,
                external_time_ms=20.0,
                spans=_spans(repeats),
            )
        )
        rows.append(
            _request(
                f"plans{i}",
                "/api/plans",
                minutes_ago=30 + i,
                action="plans.view",
                db_time_ms=10.0,
                spans=_spans(9),
            )
        )
        rows.append(_request(f"me{i}", "/api/me", minutes_ago=50 + i))
    api_request_record_many(rows=rows)
    with clock_frozen_at(NOW):
        endpoint_performance_refresh(now=NOW)


def _pk(request_id: str) -> int:
    return ApiRequest.objects.get(request_id=request_id).pk


def test_each_endpoint_counts_its_suspect_calls_with_the_worst_as_examples(world):
    feed = EndpointPerformance.objects.get(route="/api/feed", release="")
    assert (feed.span_calls, feed.n_plus_one_calls) == (10, 6)
    assert feed.n_plus_one_fingerprint == sql_fingerprint(LOOP_SQL)
    assert feed.n_plus_one_sql == LOOP_SQL
    assert feed.n_plus_one_examples == [_pk(f"feed{i}") for i in (5, 4, 3, 2, 1)]
    plans = EndpointPerformance.objects.get(route="/api/plans", release="")
    assert (plans.span_calls, plans.n_plus_one_calls, plans.n_plus_one_examples) == (10, 0, [])
    me = EndpointPerformance.objects.get(route="/api/me", release="")
    assert (me.span_calls, me.split_calls, me.db_ms_mean) == (0, 0, None)


def test_the_time_split_is_the_mean_over_the_calls_that_sent_it(world):
    feed = EndpointPerformance.objects.get(route="/api/feed", release="")
    assert (feed.split_calls, feed.db_ms_mean, feed.external_ms_mean, feed.other_ms_mean) == (
        10,
        40.0,
        20.0,
        40.0,
    )
    plans = EndpointPerformance.objects.get(route="/api/plans", release="")
    assert (plans.db_ms_mean, plans.external_ms_mean, plans.other_ms_mean) == (10.0, 0.0, 90.0)
    # The query counts come from the spans when the host sent none.
    assert feed.queries_max == 22 + 2
    assert plans.queries_median == 11


def test_each_user_action_has_its_split_queries_and_suspects(world):
    feed = ActionPerformance.objects.get(action="feed.open")
    assert (feed.calls, feed.endpoints, feed.main_endpoint) == (10, 1, "GET /api/feed")
    assert (feed.n_plus_one_calls, feed.n_plus_one_examples[0]) == (6, _pk("feed5"))
    assert (feed.db_ms_mean, feed.external_ms_mean, feed.other_ms_mean) == (40.0, 20.0, 40.0)
    assert ActionPerformance.objects.get(action="plans.view").n_plus_one_calls == 0
    assert set(ActionPerformance.objects.values_list("action", flat=True)) == {
        "feed.open",
        "plans.view",
    }


@pytest.mark.parametrize("role", ["staff_analyst", "staff_support", "staff_billing", "staff_admin"])
def test_every_role_reads_suspects_split_and_actions(request, world, role):
    client = signed_in(request.getfixturevalue(role))
    html = client.get(reverse("analytics:performance")).content.decode()
    assert 'data-suspect="GET /api/feed"' in html
    assert 'data-suspect="GET /api/plans"' not in html
    assert reverse("telemetry:request_detail", args=[_pk("feed5")]) in html
    assert LOOP_SQL in html
    assert 'data-action="feed.open"' in html
    assert "N+1 suspect: 6 calls" in html
    assert "40 / 20 / 40" in html
    assert "data-totals-only" not in html


def test_suspects_sort_first(world, staff_analyst):
    html = (
        signed_in(staff_analyst)
        .get(reverse("analytics:performance"), {"sort": "n_plus_one"})
        .content.decode()
    )
    assert html.index('data-endpoint="GET /api/feed"') < html.index('data-endpoint="GET /api/me"')


def test_a_staff_user_without_a_role_may_not_read_it(world):
    user = get_user_model().objects.create_user(username="norole", password="x", is_staff=True)
    assert signed_in(user).get(reverse("analytics:performance")).status_code == 403


def test_with_only_totals_sent_the_page_says_so(staff_analyst):
    api_request_record_many(rows=[_request(f"t{i}", "/api/me", minutes_ago=i) for i in range(5)])
    with clock_frozen_at(NOW):
        endpoint_performance_refresh(now=NOW)
    html = signed_in(staff_analyst).get(reverse("analytics:performance")).content.decode()
    assert "data-totals-only" in html
    assert 'data-table="n-plus-one"' not in html
    assert 'data-endpoint="GET /api/me"' in html  # the distributions as before
    assert "No call named its user action" in html


def test_the_request_inspector_shows_the_spans_grouped(world, staff_support):
    client = signed_in(staff_support)
    html = client.get(reverse("telemetry:request_detail", args=[_pk("feed5")])).content.decode()
    assert "data-n-plus-one" in html
    row = '<td>22 <span class="badge warn">N+1</span></td><td>22.0</td><td><code class="small">'
    assert f"{row}{LOOP_SQL}</code>" in html
    assert "database 40.0 ms · external 20.0 ms · other 40.0 ms" in html
    assert "feed.open" in html
    calm = client.get(reverse("telemetry:request_detail", args=[_pk("plans0")])).content.decode()
    assert "data-n-plus-one" not in calm
    assert "data-spans" in calm


def test_the_request_list_filters_suspects_and_actions(world, staff_analyst):
    client = signed_in(staff_analyst)
    suspects = client.get(reverse("telemetry:request_list"), {"n_plus_one": "on"}).content.decode()
    assert reverse("telemetry:request_detail", args=[_pk("plans0")]) not in suspects
    for i in range(6):
        assert reverse("telemetry:request_detail", args=[_pk(f"feed{i}")]) in suspects
    assert reverse("telemetry:request_detail", args=[_pk("feed6")]) not in suspects
    assert 'title="22 similar queries">N+1</span>' in suspects
    plans = client.get(reverse("telemetry:request_list"), {"action": "plans.view"}).content.decode()
    assert reverse("telemetry:request_detail", args=[_pk("plans0")]) in plans
    assert reverse("telemetry:request_detail", args=[_pk("feed0")]) not in plans


def test_the_endpoint_page_shows_its_split_and_suspects(world, staff_analyst):
    html = (
        signed_in(staff_analyst)
        .get(reverse("analytics:endpoint_detail"), {"method": "GET", "route": "/api/feed"})
        .content.decode()
    )
    assert "database 40 ms, external 20 ms, other 40 ms" in html
    assert "6 of 10 calls with query spans repeat one query 10 or more times" in html
    assert LOOP_SQL in html
