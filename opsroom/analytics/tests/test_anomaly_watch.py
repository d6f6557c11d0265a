"""The anomaly watch: a spike in hourly errors becomes one anomaly with its context (what else
moved, the release just before) and one alert by email; snoozing and sensitivity; the pages,
their permissions and bad input."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core import mail
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.anomaly.detectors import anomaly_fit, anomaly_scores
from opsroom.analytics.anomaly.metrics import metric_series_read
from opsroom.analytics.models import Alert, Anomaly, MetricWatch
from opsroom.analytics.services.anomalies import anomalies_detect
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry
from opsroom.telemetry.models import AiUsage, ApiRequest, ErrorEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 15, 12, 20, tzinfo=UTC)
SPIKE = datetime(2026, 7, 15, 11, tzinfo=UTC)  # the last complete hour at NOW
DAYS = 15
ENDPOINT = "POST /api/recipes/generate"


def anomaly_world(*, spike: int = 90, spike_at: datetime = SPIKE, release: bool = True) -> None:
    """Two weeks of hourly errors and API calls with a daily shape; errors and 5xx spike in
    the SPIKE hour, when a new release ships."""
    rng = np.random.default_rng(3)
    start = spike_at - timedelta(days=DAYS)
    release_at = spike_at if release else None
    errors, calls = [], []
    for h in range(DAYS * 24 + 1):
        at = start + timedelta(hours=h)
        shape = 1 + 0.5 * np.sin(2 * np.pi * (at.hour - 6) / 24)
        n_errors = spike if at == spike_at else int(rng.poisson(6 * shape))
        for k in range(n_errors):
            errors.append(
                ErrorEvent(
                    event_id=f"e{h}-{k}",
                    fingerprint="f",
                    title="Boom",
                    level="error",
                    endpoint=ENDPOINT,
                    release="api@1",
                    occurred_at=at + timedelta(seconds=k),
                )
            )
        n_calls = int(rng.poisson(10 * shape))
        for k in range(n_calls):
            late = release_at is not None and at >= release_at
            calls.append(
                ApiRequest(
                    request_id=f"r{h}-{k}",
                    method="GET",
                    route="/api/me",
                    duration_ms=40.0,
                    status=500 if (at == spike_at and k < n_calls // 2 + 8) else 200,
                    release="api@2" if late else "api@1",
                    occurred_at=at + timedelta(seconds=k),
                )
            )
    ErrorEvent.objects.bulk_create(errors)
    ApiRequest.objects.bulk_create(calls)


def _detect(at: datetime = NOW) -> dict[str, int]:
    with clock_frozen_at(at):
        return anomalies_detect(now=at)


def test_a_spike_in_errors_is_one_anomaly_with_its_context_and_one_alert(staff_admin):
    staff_admin.email = "ada@example.com"
    staff_admin.save()
    anomaly_world()

    result = _detect()

    errors = Anomaly.objects.get(metric__key="errors")
    assert errors.bucket == SPIKE
    assert errors.direction == "up"
    assert errors.value == 90
    assert errors.expected < 20
    assert errors.score >= 0.99
    moved = {row["key"] for row in errors.moved}
    assert "api_server_errors" in moved
    assert f"endpoint_errors:{ENDPOINT}" in moved
    assert [row["release"] for row in errors.releases] == ["api@2"]
    # Quiet hours before the spike are not anomalies, in any series.
    assert not Anomaly.objects.exclude(bucket=SPIKE).exists()
    alert = Alert.objects.get(anomalies=errors)
    assert alert.kind == "anomaly"
    assert alert.title.startswith("Errors per hour: unusually high, 90 against")
    assert alert.url == reverse("analytics:metric_detail", kwargs={"key": "errors"})

    assert any(
        m.subject.startswith("[Opsroom] Errors per hour: unusually high") for m in mail.outbox
    )
    assert staff_admin.email in mail.outbox[-1].to
    assert result["anomalies"] == Anomaly.objects.count()
    watch = MetricWatch.objects.get(key="errors")
    assert watch.last_bucket == SPIKE
    assert watch.last_value == 90


def test_running_again_records_and_alerts_nothing_new():
    anomaly_world()
    _detect()
    anomalies, alerts = Anomaly.objects.count(), Alert.objects.count()

    again = _detect(NOW + timedelta(minutes=20))

    assert again["anomalies"] == 0
    assert again["alerts"] == 0
    assert (Anomaly.objects.count(), Alert.objects.count()) == (anomalies, alerts)


def test_a_quiet_world_has_no_anomaly():
    anomaly_world(spike=6, release=False)
    ApiRequest.objects.filter(status=500).update(status=200)

    result = _detect()

    assert result["series"] >= 4
    assert result["anomalies"] == 0
    assert not Alert.objects.exists()


def test_an_anomaly_the_next_hour_continues_the_episode_without_a_new_alert():
    anomaly_world()
    _detect()
    ErrorEvent.objects.bulk_create(
        ErrorEvent(
            event_id=f"late-{k}",
            fingerprint="f",
            title="Boom",
            level="error",
            endpoint=ENDPOINT,
            occurred_at=SPIKE + timedelta(hours=1, seconds=k),
        )
        for k in range(95)
    )

    _detect(NOW + timedelta(hours=1))

    later = Anomaly.objects.get(metric__key="errors", bucket=SPIKE + timedelta(hours=1))
    assert later.alert is None
    assert Alert.objects.filter(title__startswith="Errors per hour:").count() == 1


def test_a_snoozed_metric_records_its_anomaly_without_an_alert(staff_admin):
    anomaly_world()
    MetricWatch.objects.create(
        key="errors", label="Errors per hour", step="hour", snoozed_until=NOW + timedelta(hours=3)
    )

    _detect()

    anomaly = Anomaly.objects.get(metric__key="errors")
    assert anomaly.snoozed
    assert anomaly.alert is None
    assert not Alert.objects.filter(title__startswith="Errors per hour:").exists()


def test_sensitivity_off_finds_nothing():
    anomaly_world()
    MetricWatch.objects.create(
        key="errors", label="Errors per hour", step="hour", sensitivity="off"
    )

    _detect()

    assert not Anomaly.objects.filter(metric__key="errors").exists()


def test_the_watch_scores_like_the_evaluation_command():
    rng = np.random.default_rng(5)
    stamps = 1_767_225_600.0 + np.arange(24 * 20) * 3600.0
    values = rng.poisson(30, len(stamps)).astype(float)
    values[-3] = 200

    score, z, expected = anomaly_fit(stamps, values)

    command_score, command_z = anomaly_scores(stamps, values)
    assert np.array_equal(score, command_score)
    assert np.array_equal(z, command_z)
    assert abs(expected[-3] - 30) < 8
    assert score[-3] > 0.999


def test_a_cost_series_has_the_noise_of_its_calls():
    """Hourly AI cost of a young app: most hours without a call, each call costing about the
    same. A call in a quiet hour is noise once the detector knows the cost of a call (without
    it the typical deviation is 0); a prompt loop is not."""
    rng = np.random.default_rng(8)
    hours = np.arange(24 * 28)
    stamps = 1_767_225_600.0 + hours * 3600.0
    calls = rng.poisson(0.3 * (1 + 0.8 * np.sin(2 * np.pi * (hours % 24 - 6) / 24)))
    cost = np.array([rng.lognormal(np.log(0.002), 0.5, n).sum() for n in calls])
    loop = len(cost) - 30
    cost[loop] += 25 * 0.01

    score, _z, _expected = anomaly_fit(stamps, cost, unit=0.002)
    bare, _z, _expected = anomaly_fit(stamps, cost)

    assert list(np.flatnonzero(score >= 0.99)) == [loop]
    assert (bare >= 0.99).sum() > 10


def test_the_ai_cost_series_carries_the_unit_of_its_noise():
    for k, micros in enumerate((1_000_000, 3_000_000)):
        AiUsage.objects.create(
            usage_id=f"u{k}",
            occurred_at=NOW - timedelta(hours=3, minutes=k),
            model="m",
            cost_micros=micros,
        )

    series = {one.key: one for one in metric_series_read(now=NOW)}

    # Each point's unit comes from the calls before it: E[cost^2] / E[cost].
    unit = series["ai_cost"].unit
    assert np.isnan(unit[0])
    assert unit[1:].tolist() == pytest.approx([(1 + 9) / (1 + 3)] * 2)
    assert series["ai_cost"].values.tolist() == [4.0, 0.0, 0.0]


# The pages.


@pytest.fixture
def watched():
    anomaly_world()
    _detect()


def test_an_analyst_reads_the_anomalies_and_a_metric(staff_analyst, watched):
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        page = client.get(reverse("analytics:anomaly_list"))
        metric = client.get(reverse("analytics:metric_detail", kwargs={"key": "errors"}))
        endpoint = client.get(
            reverse("analytics:metric_detail", kwargs={"key": f"endpoint_errors:{ENDPOINT}"})
        )

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-anomaly="errors"' in html
    assert "api@2" in html
    assert "data-tune" not in html  # analysts change nothing
    assert metric.status_code == 200
    assert "<svg" in metric.content.decode()
    assert "data-mark" in metric.content.decode()
    assert endpoint.status_code == 200


def test_an_analyst_may_not_tune_or_snooze(staff_analyst, watched):
    client = signed_in(staff_analyst)

    tune = client.post(reverse("analytics:metric_tune"), {"key": "errors", "sensitivity": "low"})
    snooze = client.post(reverse("analytics:metric_snooze"), {"key": "errors", "hours": 4})

    assert (tune.status_code, snooze.status_code) == (403, 403)
    assert MetricWatch.objects.get(key="errors").sensitivity == "default"


def test_an_admin_tunes_and_snoozes_a_metric_audited(staff_admin, watched):
    client = signed_in(staff_admin)

    with clock_frozen_at(NOW):
        tune = client.post(
            reverse("analytics:metric_tune"), {"key": "errors", "sensitivity": "low"}
        )
        snooze = client.post(
            reverse("analytics:metric_snooze"), {"key": "errors", "hours": 24, "next": "metric"}
        )

    assert tune.status_code == 302
    assert tune["Location"] == reverse("analytics:anomaly_list")
    assert snooze["Location"] == reverse("analytics:metric_detail", kwargs={"key": "errors"})
    watch = MetricWatch.objects.get(key="errors")
    assert watch.sensitivity == "low"
    assert watch.snoozed_until == NOW + timedelta(hours=24)
    actions = list(AuditEntry.objects.filter(actor=staff_admin).values_list("action", "params"))
    assert ("metric_watch.tune", {"from": "default", "to": "low"}) in actions
    assert ("metric_watch.snooze", {"hours": 24}) in actions


@pytest.mark.parametrize(
    ("url", "data", "status", "says"),
    [
        ("analytics:metric_tune", {"key": "errors", "sensitivity": "loud"}, 400, "sensitivity"),
        ("analytics:metric_tune", {"key": "errors"}, 400, "sensitivity"),
        ("analytics:metric_tune", {"key": "nope", "sensitivity": "low"}, 404, "No watched"),
        ("analytics:metric_tune", {"key": "x" * 301, "sensitivity": "low"}, 400, "key"),
        ("analytics:metric_snooze", {"key": "errors", "hours": "-1"}, 400, "hours"),
        ("analytics:metric_snooze", {"key": "errors", "hours": "abc"}, 400, "hours"),
        ("analytics:metric_snooze", {"key": "errors", "hours": "99999"}, 400, "hours"),
        ("analytics:metric_snooze", {"key": "errors\x00", "hours": "1"}, 400, "key"),
        ("analytics:metric_snooze", {"key": "nope", "hours": "1"}, 404, "No watched"),
    ],
    ids=[
        "unknown-sensitivity",
        "no-sensitivity",
        "unknown-metric",
        "long-key",
        "negative",
        "not-a-number",
        "too-long",
        "nul",
        "unknown-metric-snooze",
    ],
)
def test_bad_input_is_a_4xx_that_says_what_is_wrong(staff_admin, watched, url, data, status, says):
    response = signed_in(staff_admin).post(reverse(url), data)

    assert response.status_code == status
    assert says in response.content.decode()
    assert MetricWatch.objects.get(key="errors").sensitivity == "default"


def test_wrong_methods_and_unknown_metrics(staff_admin, watched):
    client = signed_in(staff_admin)

    assert client.get(reverse("analytics:metric_tune")).status_code == 405
    missing = reverse("analytics:metric_detail", kwargs={"key": "no/such metric"})
    assert client.get(missing).status_code == 404
    assert client.get("/analytics/metrics/err%00ors/").status_code == 404
    assert client.get(f"/analytics/metrics/{'x' * 5000}/").status_code == 404
