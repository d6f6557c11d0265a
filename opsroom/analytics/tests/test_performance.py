"""Endpoint performance: percentiles and error rates per endpoint, a release that made an
endpoint slower and one that made another fail more, flagged with their evidence (checked
against scipy/statsmodels); the page, its permission and bad input."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.urls import reverse
from scipy import stats

from conftest import signed_in
from opsroom.analytics.models import EndpointPerformance, PerformanceSummary
from opsroom.analytics.services.performance import endpoint_performance_refresh
from opsroom.core.clock import clock_frozen_at
from opsroom.telemetry.models import ApiRequest

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 15, 12, tzinfo=UTC)
R1, R2 = "api@1.0", "api@1.1"


def _calls(route, release, *, n, ms, start, status_500_every=0, queries=None, method="GET"):
    rng = np.random.default_rng(hash((route, release)) % 2**32)
    durations = rng.lognormal(np.log(ms), 0.3, n)
    return [
        ApiRequest(
            request_id=f"{method}{route}{release}{i}", method=method, route=route,
            status=500 if status_500_every and i % status_500_every == 0 else 200,
            duration_ms=float(durations[i]), release=release,
            db_time_ms=float(durations[i]) / 2, query_count=queries,
            occurred_at=start + timedelta(minutes=5 * i),
        )
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def world():
    before, after = NOW - timedelta(days=6), NOW - timedelta(days=3)
    rows = [
        # R2 made /api/plans slower (80 -> 200 ms); /api/me unchanged; /api/log fails more.
        *_calls("/api/plans", R1, n=200, ms=80, start=before),
        *_calls("/api/plans", R2, n=200, ms=200, start=after),
        *_calls("/api/me", R1, n=200, ms=30, start=before),
        *_calls("/api/me", R2, n=200, ms=30, start=after),
        *_calls("/api/log", R1, n=300, ms=50, start=before, status_500_every=100, method="POST"),
        *_calls("/api/log", R2, n=300, ms=50, start=after, status_500_every=5, method="POST"),
        *_calls("/api/feed", R2, n=50, ms=90, start=after, queries=60),
        # The slowest calls of the last day.
        *(
            ApiRequest(
                request_id=f"slow{ms}",
                method="GET",
                route="/api/slow",
                status=200,
                duration_ms=ms,
                occurred_at=NOW - timedelta(hours=1),
            )
            for ms in (5000.0, 7000.0, 6000.0)
        ),
        # Outside the 14-day window: ignored.
        *_calls("/api/old", R1, n=10, ms=10, start=NOW - timedelta(days=30)),
    ]
    ApiRequest.objects.bulk_create(rows)
    with clock_frozen_at(NOW):
        endpoint_performance_refresh(now=NOW)
    return rows


def _row(route, release=""):
    return EndpointPerformance.objects.get(route=route, release=release)


def test_percentiles_and_rates_per_endpoint(world):
    plans = _row("/api/plans")
    durations = [r.duration_ms for r in world if r.route == "/api/plans"]

    assert plans.calls == 400
    assert plans.p50_ms == pytest.approx(np.percentile(durations, 50))
    assert plans.p95_ms == pytest.approx(np.percentile(durations, 95))
    assert plans.p99_ms == pytest.approx(np.percentile(durations, 99))
    assert plans.db_share == pytest.approx(0.5)
    assert _row("/api/log").server_errors == 3 + 60
    assert not EndpointPerformance.objects.filter(route="/api/old").exists()


def test_a_slower_release_is_a_regression_with_its_evidence(world):
    r2 = _row("/api/plans", R2)
    now = [r.duration_ms for r in world if r.route == "/api/plans" and r.release == R2]
    before = [r.duration_ms for r in world if r.route == "/api/plans" and r.release == R1]

    assert r2.previous_release == R1
    assert r2.slower
    assert not r2.more_errors
    assert r2.latency_p_value == pytest.approx(
        stats.mannwhitneyu(now, before, alternative="greater").pvalue
    )
    assert r2.previous_p95_ms == pytest.approx(np.percentile(before, 95))
    assert not _row("/api/me", R2).is_regression
    assert not _row("/api/plans", R1).is_regression  # the first release has nothing before it


def test_a_release_that_fails_more_is_a_regression(world):
    from statsmodels.stats.proportion import proportions_ztest

    r2 = _row("/api/log", R2)

    assert r2.more_errors
    assert not r2.slower
    assert r2.error_rate == pytest.approx(60 / 300)
    assert r2.previous_error_rate == pytest.approx(3 / 300)
    expected = proportions_ztest([60, 3], [300, 300], alternative="larger")[1]
    assert r2.error_p_value == pytest.approx(expected)


def test_many_queries_per_call_is_an_n_plus_one_suspect(world):
    assert _row("/api/feed").many_queries
    assert _row("/api/feed").queries_p95 == 60
    assert not _row("/api/plans").many_queries  # no query counts sent


def test_refreshing_again_replaces_the_rows(world):
    count = EndpointPerformance.objects.count()

    endpoint_performance_refresh(now=NOW)

    assert EndpointPerformance.objects.count() == count


def test_an_analyst_reads_regressions_endpoints_and_one_endpoint(staff_analyst, world):
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        page = client.get(reverse("analytics:performance"))
        by_errors = client.get(reverse("analytics:performance"), {"sort": "errors"})
        one = client.get(
            reverse("analytics:endpoint_detail"), {"method": "GET", "route": "/api/plans"}
        )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-regression="GET /api/plans"' in html
    assert 'data-regression="POST /api/log"' in html
    assert 'data-regression="GET /api/me"' not in html
    assert "N+1 suspect" in html
    body = by_errors.content.decode()
    assert body.index('data-endpoint="POST /api/log"') < body.index('data-endpoint="GET /api/me"')
    assert one.status_code == 200
    assert 'data-release="api@1.1"' in one.content.decode()
    assert "slower" in one.content.decode()


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"sort": "bogus"}, 400, "Sort by one of"),
        ({"sort": "p95\x00"}, 400, "Sort by one of"),
    ],
    ids=["unknown-sort", "nul"],
)
def test_bad_sort_is_a_400(staff_analyst, world, params, status, says):
    response = signed_in(staff_analyst).get(reverse("analytics:performance"), params)

    assert response.status_code == status
    assert says in response.content.decode()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"method": "GET"}, 400),
        ({"method": "GET", "route": "/nope"}, 404),
        ({"method": "GET" * 50, "route": "/api/plans" * 50}, 400),
        ({"method": "GET", "route": "/api/plans\x00"}, 400),
    ],
    ids=["nothing", "no-route", "unknown", "too-long", "nul"],
)
def test_bad_endpoint_is_a_4xx(staff_analyst, world, params, status):
    response = signed_in(staff_analyst).get(reverse("analytics:endpoint_detail"), params)

    assert response.status_code == status


def test_the_slowest_calls_of_the_last_day_are_kept(world, staff_analyst):
    summary = PerformanceSummary.objects.get()
    slowest = list(ApiRequest.objects.filter(pk__in=summary.slowest_ids[:3]))

    assert len(summary.slowest_ids) == 3  # only these were in the last day
    assert [ApiRequest.objects.get(pk=pk).duration_ms for pk in summary.slowest_ids[:3]] == [
        7000.0, 6000.0, 5000.0
    ]  # fmt: skip
    assert {call.route for call in slowest} == {"/api/slow"}
    html = signed_in(staff_analyst).get(reverse("analytics:performance")).content.decode()
    assert html.index("7000 ms") < html.index("5000 ms")
