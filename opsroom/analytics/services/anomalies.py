"""The anomaly watch: runs the product's detector over every watched series each hour, records
the anomalies with their context, and alerts on the first point of each episode unless the
metric is snoozed. Staff tune a metric's sensitivity and snooze it (audited)."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import transaction
from django.urls import reverse

from opsroom.analytics.alerts import alert_raise
from opsroom.analytics.anomaly.detectors import THRESHOLDS, anomaly_fit
from opsroom.analytics.anomaly.metrics import STEP_SECONDS, MetricSeries, metric_series_read
from opsroom.analytics.models import Alert, Anomaly, MetricWatch
from opsroom.core import clock
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.telemetry.series import releases_first_seen

WATCH = AuditContext.system("anomaly watch")
# Buckets looked at on each run (so a missed hour is caught up); older ones are history.
LOOKBACK = {"hour": 6, "day": 2}
# Another series "moved" with an anomaly when it is this far from expected at the same time.
MOVED_Z = 3.0
# An anomaly this close after another of the same metric continues its episode: no new alert.
EPISODE_BUCKETS = 3
MAX_SNOOZE = timedelta(days=90)
# Points kept for each metric's chart: 7 days hourly, 60 days daily.
RECENT_POINTS = {"hour": 24 * 7, "day": 60}


@dataclass(frozen=True)
class Fitted:
    series: MetricSeries
    score: np.ndarray
    z: np.ndarray
    expected: np.ndarray

    def at(self, timestamp: float) -> int | None:
        index = int(np.searchsorted(self.series.timestamps, timestamp))
        if index < len(self.series.timestamps) and self.series.timestamps[index] == timestamp:
            return index
        return None


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def _when(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def anomalies_detect(*, now: datetime | None = None) -> dict[str, int]:
    """Score every watched series, record new anomalies and raise their alerts."""
    now = now or clock.now()
    fits = []
    for series in metric_series_read(now=now):
        if len(series.values) == 0:
            continue
        score, z, expected = anomaly_fit(series.timestamps, series.values, unit=series.unit)
        fits.append(Fitted(series, score, z, expected))
    found = alerts = 0
    for fit in fits:
        watch = _watch_sync(fit, now=now)
        threshold = THRESHOLDS.get(watch.sensitivity)
        if threshold is None:
            continue
        lookback = LOOKBACK[fit.series.step]
        for index in range(max(len(fit.score) - lookback, 0), len(fit.score)):
            if fit.score[index] < threshold or not math.isfinite(fit.series.values[index]):
                continue
            anomaly, alerted = _anomaly_record(fit, index, watch=watch, fits=fits, now=now)
            found += anomaly is not None
            alerts += alerted
    return {"series": len(fits), "anomalies": found, "alerts": alerts}


def _recent(fit: Fitted) -> list[list[float | None]]:
    keep = RECENT_POINTS[fit.series.step]
    rows: list[list[float | None]] = []
    for i in range(max(len(fit.series.values) - keep, 0), len(fit.series.values)):
        value, expected = float(fit.series.values[i]), float(fit.expected[i])
        rows.append(
            [
                float(fit.series.timestamps[i]),
                value if math.isfinite(value) else None,
                expected if math.isfinite(expected) else None,
                round(float(fit.score[i]), 6),
            ]
        )
    return rows


def _watch_sync(fit: Fitted, *, now: datetime) -> MetricWatch:
    last = len(fit.series.values) - 1
    state = {
        "label": fit.series.label,
        "step": fit.series.step,
        "last_bucket": _when(fit.series.timestamps[last]),
        "last_value": (
            float(fit.series.values[last]) if math.isfinite(fit.series.values[last]) else None
        ),
        "last_expected": (float(fit.expected[last]) if math.isfinite(fit.expected[last]) else None),
        "last_score": float(fit.score[last]),
        "checked_at": now,
        "recent": _recent(fit),
    }
    watch, _ = MetricWatch.objects.update_or_create(key=fit.series.key, defaults=state)
    return watch


def _moved(fits: list[Fitted], *, besides: str, timestamp: float) -> list[dict[str, object]]:
    moved = []
    for other in fits:
        if other.series.key == besides:
            continue
        index = other.at(timestamp)
        if index is None or abs(other.z[index]) < MOVED_Z:
            continue
        moved.append(
            {
                "key": other.series.key,
                "label": other.series.label,
                "value": _finite(other.series.values[index]),
                "expected": _finite(other.expected[index]),
                "z": round(float(other.z[index]), 2),
            }
        )
    return sorted(moved, key=lambda row: -abs(float(row["z"])))  # type: ignore[arg-type]


def _anomaly_record(
    fit: Fitted, index: int, *, watch: MetricWatch, fits: list[Fitted], now: datetime
) -> tuple[Anomaly | None, bool]:
    timestamp = float(fit.series.timestamps[index])
    bucket = _when(timestamp)
    if Anomaly.objects.filter(metric=watch, bucket=bucket).exists():
        return None, False
    releases = releases_first_seen(since=bucket - timedelta(days=1), until=bucket + timedelta(
        seconds=STEP_SECONDS[fit.series.step]))  # fmt: skip
    snoozed = watch.snoozed_until is not None and watch.snoozed_until > now
    value, expected = float(fit.series.values[index]), _finite(fit.expected[index])
    with transaction.atomic():
        anomaly, created = Anomaly.objects.get_or_create(
            metric=watch,
            bucket=bucket,
            defaults={
                "value": value,
                "expected": expected,
                "score": float(fit.score[index]),
                "z": float(fit.z[index]),
                "direction": Anomaly.Direction.UP if fit.z[index] > 0 else Anomaly.Direction.DOWN,
                "moved": _moved(fits, besides=watch.key, timestamp=timestamp),
                "releases": [
                    {"release": release, "first_seen": first_seen.isoformat()}
                    for release, first_seen in releases
                ],
                "snoozed": snoozed,
                "detected_at": now,
            },
        )
        if not created:
            return None, False
        episode_start = bucket - timedelta(seconds=EPISODE_BUCKETS * STEP_SECONDS[fit.series.step])
        continues = (
            Anomaly.objects.filter(metric=watch, bucket__gte=episode_start, bucket__lt=bucket)
            .exclude(pk=anomaly.pk)
            .exists()
        )
        if snoozed or continues:
            return anomaly, False
        alert = alert_raise(
            kind=Alert.Kind.ANOMALY,
            title=_alert_title(watch, anomaly),
            body=_alert_body(anomaly),
            url=reverse("analytics:metric_detail", kwargs={"key": watch.key}),
            dedupe_key=f"anomaly:{watch.pk}:{int(timestamp)}",
            audit=WATCH,
        )
        if alert is not None:
            anomaly.alert = alert
            anomaly.save(update_fields=["alert"])
        return anomaly, alert is not None


def _alert_title(watch: MetricWatch, anomaly: Anomaly) -> str:
    word = "high" if anomaly.direction == Anomaly.Direction.UP else "low"
    return (
        f"{watch.label}: unusually {word}, {anomaly.value:g} against {anomaly.expected:.4g} "
        f"expected ({anomaly.bucket:%Y-%m-%d %H:%M} UTC)"
    )


def _alert_body(anomaly: Anomaly) -> str:
    lines = [f"Anomaly score {anomaly.score:.4f} (robust z {anomaly.z:+.1f})."]
    for row in anomaly.moved[:5]:
        lines.append(f"Also moved: {row['label']}: {row['value']:g} against {row['expected']:.4g}")
    for row in anomaly.releases:
        lines.append(f"Release {row['release']} first seen {row['first_seen']}")
    return "\n".join(lines)


def _watch_get(key: str) -> MetricWatch:
    watch = MetricWatch.objects.select_for_update().filter(key=key).first()
    if watch is None:
        raise NotFound("No watched metric has this key.")
    return watch


@transaction.atomic
def metric_watch_tune(*, key: str, sensitivity: str, audit: AuditContext) -> MetricWatch:
    """Set how readily a metric's points count as anomalies (off: never)."""
    if sensitivity not in MetricWatch.Sensitivity.values:
        raise InvalidInput(
            f"Sensitivity must be one of {', '.join(MetricWatch.Sensitivity.values)}."
        )
    watch = _watch_get(key)
    before = watch.sensitivity
    if before != sensitivity:
        watch.sensitivity = sensitivity
        watch.save(update_fields=["sensitivity"])
        audit_record(
            audit,
            action="metric_watch.tune",
            target=watch,
            params={"from": before, "to": sensitivity},
        )
    return watch


@transaction.atomic
def metric_watch_snooze(*, key: str, hours: int, audit: AuditContext) -> MetricWatch:
    """Stop a metric's alerts for some hours (anomalies are still recorded); 0 ends a snooze."""
    if not 0 <= hours <= MAX_SNOOZE.total_seconds() // 3600:
        raise InvalidInput(f"Snooze for 0 to {int(MAX_SNOOZE.total_seconds() // 3600)} hours.")
    watch = _watch_get(key)
    watch.snoozed_until = clock.now() + timedelta(hours=hours) if hours else None
    watch.save(update_fields=["snoozed_until"])
    audit_record(
        audit,
        action="metric_watch.snooze" if hours else "metric_watch.unsnooze",
        target=watch,
        params={"hours": hours},
    )
    return watch
