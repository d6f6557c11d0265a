"""The hourly 95th percentile of API call durations, for the anomaly watch.

A percentile cannot be summed from smaller parts, and SQLite has no percentile aggregate, so
each hour's p95 is computed once in numpy over that hour's durations and kept in LatencyHour.
A refresh recomputes only the hours it has never computed and the last few (calls reported
late land there); a year of hourly points is then a read of 8,760 small rows.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import transaction

from opsroom.analytics.models import LatencyHour
from opsroom.core import clock
from opsroom.telemetry.series import api_durations

HOUR = timedelta(hours=1)
SPAN = timedelta(days=7)  # the durations read at once
# Hours recomputed on every refresh, for calls that arrive after their hour was computed.
RECENT_HOURS = 6
# Fewer calls than this in an hour give no p95 (it would be the slowest call).
MIN_CALLS = 5
PERCENTILE = 95.0


def hourly_percentile(
    hours: np.ndarray, durations: np.ndarray, *, q: float = PERCENTILE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hour, calls, q-th percentile) per distinct hour, with numpy's linear interpolation,
    in one sort over every value (no loop over the hours)."""
    if len(hours) == 0:
        empty = np.array([], dtype=float)
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), empty
    order = np.lexsort((durations, hours))
    hours, durations = hours[order], durations[order]
    unique, starts, counts = np.unique(hours, return_index=True, return_counts=True)
    position = starts + (q / 100.0) * (counts - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, starts + counts - 1)
    fraction = position - low
    values = durations[low] + fraction * (durations[high] - durations[low])
    return unique, counts, values


def _hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _stale_from(*, since: datetime, until: datetime) -> datetime | None:
    """The first hour of [since, until) to recompute: one never computed, or a recent one."""
    stored = set(
        LatencyHour.objects.filter(bucket__gte=since, bucket__lt=until).values_list(
            "bucket", flat=True
        )
    )
    recent = max(until - RECENT_HOURS * HOUR, since)
    hour = since
    while hour < recent:
        if hour not in stored:
            return hour
        hour += HOUR
    return recent if recent < until else None


def latency_hours_refresh(*, since: datetime, until: datetime) -> int:
    """Compute the p95 of the hours of [since, until) that need it; return how many."""
    since, until = _hour_of(since), _hour_of(until)
    start = _stale_from(since=since, until=until)
    if start is None:
        return 0
    found: dict[int, tuple[int, float]] = {}
    span = start
    while span < until:  # a week at a time, so a first refresh of a busy year stays small
        span_end = min(span + SPAN, until)
        stamps: list[float] = []
        values: list[float] = []
        for occurred_at, duration in api_durations(since=span, until=span_end):
            stamps.append(occurred_at.timestamp())
            values.append(duration)
        hours = (np.asarray(stamps, dtype=float) // 3600).astype(np.int64)
        unique, counts, p95 = hourly_percentile(hours, np.asarray(values, dtype=float))
        for hour_index, calls, value in zip(unique, counts, p95, strict=True):
            found[int(hour_index)] = (int(calls), float(value))
        span = span_end
    now = clock.now()
    rows = []
    hour = start
    while hour < until:
        calls, value = found.get(int(hour.timestamp()) // 3600, (0, 0.0))
        rows.append(
            LatencyHour(
                bucket=hour,
                calls=calls,
                p95_ms=value if calls >= MIN_CALLS else None,
                computed_at=now,
            )
        )
        hour += HOUR
    with transaction.atomic():
        LatencyHour.objects.filter(bucket__gte=start, bucket__lt=until).delete()
        LatencyHour.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def latency_p95_per_hour(*, since: datetime, until: datetime) -> dict[datetime, float]:
    """The p95 of API call durations (ms) per hour of [since, until), refreshed first; hours
    with too few calls absent."""
    latency_hours_refresh(since=since, until=until)
    rows = LatencyHour.objects.filter(
        bucket__gte=since, bucket__lt=until, p95_ms__isnull=False
    ).values_list("bucket", "p95_ms")
    return {bucket: float(value) for bucket, value in rows if value is not None}
