"""The hourly p95 API latency series: numpy's percentile per hour in one sort, kept per hour and
recomputed only where needed, watched by the detector beside the mean."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.models import Anomaly, LatencyHour
from opsroom.analytics.services.anomalies import anomalies_detect
from opsroom.analytics.services.latency import (
    MIN_CALLS,
    hourly_percentile,
    latency_hours_refresh,
    latency_p95_per_hour,
)
from opsroom.core.clock import clock_frozen_at
from opsroom.telemetry.models import ApiRequest

NOW = datetime(2026, 7, 15, 12, 20, tzinfo=UTC)
SLOW = datetime(2026, 7, 15, 11, tzinfo=UTC)  # the last complete hour at NOW
HOUR = timedelta(hours=1)


def test_the_percentile_per_hour_is_numpys():
    rng = np.random.default_rng(1)
    hours = rng.integers(0, 40, 5000)
    durations = rng.lognormal(4, 1, 5000)

    unique, counts, p95 = hourly_percentile(hours, durations)

    for hour, count, value in zip(unique, counts, p95, strict=True):
        mine = durations[hours == hour]
        assert count == len(mine)
        assert value == pytest.approx(np.percentile(mine, 95), rel=1e-12)
    assert hourly_percentile(np.array([], int), np.array([]))[0].size == 0


def _calls(at: datetime, durations: list[float], prefix: str) -> None:
    ApiRequest.objects.bulk_create(
        ApiRequest(
            request_id=f"{prefix}-{k}",
            method="GET",
            route="/api/me",
            status=200,
            duration_ms=ms,
            occurred_at=at + timedelta(seconds=k),
        )
        for k, ms in enumerate(durations)
    )


@pytest.mark.django_db
def test_each_hour_is_computed_once_and_recent_hours_again():
    start = SLOW - 10 * HOUR
    _calls(start, [float(ms) for ms in range(1, 101)], "a")  # p95 of 1..100 is 95.05
    _calls(start + HOUR, [10.0] * (MIN_CALLS - 1), "b")  # too few calls for a p95

    with clock_frozen_at(NOW):
        series = latency_p95_per_hour(since=start, until=SLOW + HOUR)

    assert series == {start: pytest.approx(95.05)}
    assert LatencyHour.objects.count() == 11
    assert LatencyHour.objects.get(bucket=start + HOUR).calls == MIN_CALLS - 1
    # A call reported late in an old hour is not seen again; one in a recent hour is.
    _calls(start, [5000.0] * 50, "late-old")
    _calls(SLOW, [20.0] * 10, "late-recent")
    with clock_frozen_at(NOW):
        recomputed = latency_hours_refresh(since=start, until=SLOW + HOUR)
        series = latency_p95_per_hour(since=start, until=SLOW + HOUR)
    assert recomputed == 6
    assert series[start] == pytest.approx(95.05)
    assert series[SLOW] == pytest.approx(20.0)


@pytest.mark.django_db
def test_a_slow_tail_is_an_anomaly_of_the_p95_with_its_context(staff_analyst):
    """Most calls stay fast, so the mean moves little; the slowest 10% become very slow."""
    rng = np.random.default_rng(4)
    start = SLOW - 15 * 24 * HOUR
    rows = []
    for h in range(15 * 24 + 1):
        at = start + h * HOUR
        durations = rng.lognormal(np.log(80), 0.35, 60)
        if at == SLOW:
            durations[:6] = 4000.0
        for k, ms in enumerate(durations):
            rows.append(
                ApiRequest(
                    request_id=f"r{h}-{k}",
                    method="GET",
                    route="/api/me",
                    status=200,
                    duration_ms=float(ms),
                    occurred_at=at + timedelta(seconds=k),
                )
            )
    ApiRequest.objects.bulk_create(rows)

    with clock_frozen_at(NOW):
        anomalies_detect(now=NOW)

    p95 = Anomaly.objects.get(metric__key="api_latency_p95")
    assert p95.bucket == SLOW
    assert p95.direction == "up"
    assert p95.value > 1000
    assert p95.expected < 200
    assert not Anomaly.objects.filter(metric__key="api_latency_p95").exclude(bucket=SLOW)
    assert "api_latency" in {row["key"] for row in p95.moved}
    client = signed_in(staff_analyst)
    page = client.get(reverse("analytics:anomaly_list")).content.decode()
    assert "95th percentile API latency per hour (ms)" in page
    detail = client.get(reverse("analytics:metric_detail", kwargs={"key": "api_latency_p95"}))
    assert detail.status_code == 200


@pytest.mark.django_db
def test_a_long_refresh_reads_a_week_at_a_time_and_misses_no_hour():
    start = SLOW - 20 * 24 * HOUR
    for day in (0, 7, 13, 19):
        _calls(start + day * 24 * HOUR, [float(day + 1)] * MIN_CALLS, f"d{day}")

    with clock_frozen_at(NOW):
        series = latency_p95_per_hour(since=start, until=SLOW)

    assert series == {start + day * 24 * HOUR: float(day + 1) for day in (0, 7, 13, 19)}
    assert LatencyHour.objects.count() == 20 * 24
