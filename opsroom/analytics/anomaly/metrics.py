"""The metric series the anomaly watch looks at, read from the apps that own the data.

Hourly: signups, trial starts, trial conversions, payment failures, errors (in all and for the
endpoints with the most errors), API calls, API server errors (5xx), API latency (the mean and
the 95th percentile) and AI cost. Daily: active people.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from opsroom.analytics.services.latency import latency_p95_per_hour
from opsroom.core.timeseries import Step
from opsroom.people.selectors.series import active_people_per_day, signups_per_bucket
from opsroom.revenue.series import payment_failures_per_bucket, subscription_changes_per_bucket
from opsroom.telemetry.ai_usage import ai_cost_per_bucket, ai_cost_squares_per_bucket
from opsroom.telemetry.series import (
    api_calls_per_bucket,
    api_latency_per_bucket,
    errors_per_bucket,
    errors_per_endpoint_bucket,
)

# Enough past for the detector's four weekly seasons and its week of residuals.
HISTORY: dict[Step, timedelta] = {"hour": timedelta(days=35), "day": timedelta(days=120)}
STEP_SECONDS: dict[Step, int] = {"hour": 3600, "day": 86400}
# The past a sum of amounts takes the scale of its events from.
UNIT_WINDOW: dict[Step, int] = {"hour": 24 * 28, "day": 28}
TOP_ENDPOINTS = 20
ENDPOINT_PREFIX = "endpoint_errors:"


@dataclass(frozen=True)
class MetricSeries:
    """One series on a regular grid of complete buckets: counts are 0 where nothing happened
    (from the series' first point), means are NaN."""

    key: str
    label: str
    step: Step
    timestamps: np.ndarray  # bucket starts, seconds since the epoch
    values: np.ndarray
    # A sum of amounts: per point, E[amount^2] / E[amount] of the events of the 28 days before
    # it (NaN without any), the unit of the detector's noise floor.
    unit: np.ndarray | None = None


@dataclass(frozen=True)
class MetricSource:
    key: str
    label: str
    step: Step
    is_count: bool
    read: Callable[[datetime, datetime], dict[datetime, float]]
    # A count is 0 where nothing happened from the first point of this series (the one whose
    # data it is a part of), not just from its own first point: 5xx from the first API call.
    origin: str = ""
    # A sum of amounts (a cost): the sum of its events' squared amounts per bucket, for the
    # unit of the detector's noise floor.
    squares: Callable[[datetime, datetime], dict[datetime, float]] | None = None


def _hourly(
    read: Callable[..., dict[datetime, float]], **kwargs: object
) -> Callable[[datetime, datetime], dict[datetime, float]]:
    return lambda since, until: read(step="hour", since=since, until=until, **kwargs)


SOURCES: tuple[MetricSource, ...] = (
    MetricSource("signups", "Signups per hour", "hour", True, _hourly(signups_per_bucket)),
    MetricSource(
        "trial_starts",
        "Trial starts per hour",
        "hour",
        True,
        _hourly(subscription_changes_per_bucket, kind="trial_started"),
    ),
    MetricSource(
        "conversions",
        "Trial conversions per hour",
        "hour",
        True,
        _hourly(subscription_changes_per_bucket, kind="converted"),
    ),
    MetricSource(
        "payment_failures",
        "Failed payments per hour",
        "hour",
        True,
        _hourly(payment_failures_per_bucket),
    ),
    MetricSource("errors", "Errors per hour", "hour", True, _hourly(errors_per_bucket)),
    MetricSource("api_calls", "API calls per hour", "hour", True, _hourly(api_calls_per_bucket)),
    MetricSource(
        "api_server_errors",
        "API server errors (5xx) per hour",
        "hour",
        True,
        _hourly(api_calls_per_bucket, server_errors=True),
        origin="api_calls",
    ),
    MetricSource(
        "api_latency",
        "Mean API latency per hour (ms)",
        "hour",
        False,
        _hourly(api_latency_per_bucket),
    ),
    MetricSource(
        "api_latency_p95",
        "95th percentile API latency per hour (ms)",
        "hour",
        False,
        lambda since, until: latency_p95_per_hour(since=since, until=until),
    ),
    # Zero where nothing was spent: filled like a count, but never taken for one; its noise is
    # that of a Poisson number of calls of varied costs.
    MetricSource(
        "ai_cost",
        "AI cost per hour",
        "hour",
        True,
        _hourly(ai_cost_per_bucket),
        squares=_hourly(ai_cost_squares_per_bucket),
    ),
    MetricSource(
        "active_people",
        "Active people per day",
        "day",
        True,
        lambda since, until: active_people_per_day(since=since.date(), until=until.date()),
    ),
)


def trailing_unit(values: np.ndarray, squares: np.ndarray, *, width: int) -> np.ndarray:
    """Per point, sum(squares) / sum(values) over the `width` points before it (NaN where
    nothing was spent): E[amount^2] / E[amount] of the events behind a sum, causally."""
    first = np.concatenate([[0.0], np.cumsum(np.nan_to_num(values))])
    second = np.concatenate([[0.0], np.cumsum(np.nan_to_num(squares))])
    index = np.arange(len(values))
    low = np.maximum(index - width, 0)
    total, total_squares = first[index] - first[low], second[index] - second[low]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, total_squares / np.where(total > 0, total, 1.0), np.nan)


def bucket_floor(at: datetime, step: Step) -> datetime:
    """The start of the bucket holding a time."""
    if step == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _grid(
    points: dict[datetime, float],
    *,
    step: Step,
    since: datetime,
    until: datetime,
    is_count: bool,
    origin: datetime | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points on the grid of complete buckets from the first point (counts; or the origin's
    when earlier) or from `since`."""
    size = STEP_SECONDS[step]
    start = since
    if is_count and points:
        start = min(points) if origin is None else min(min(points), origin)
    first, end = int(start.timestamp()), int(until.timestamp())
    timestamps = np.arange(first, end, size, dtype=float)
    values = np.full(len(timestamps), 0.0 if is_count else np.nan)
    for bucket, value in points.items():
        index = (int(bucket.timestamp()) - first) // size
        if 0 <= index < len(values):
            values[index] = value
    return timestamps, values


def _since(start: datetime | None, until: datetime, step: Step) -> datetime:
    return until - HISTORY[step] if start is None else min(bucket_floor(start, step), until)


def metric_series_read(*, now: datetime, since: datetime | None = None) -> list[MetricSeries]:
    """Every watched series up to the last complete bucket before `now`, from `since` (by
    default, the history the detector needs)."""
    start = since
    out: list[MetricSeries] = []
    first: dict[str, datetime] = {}
    for source in SOURCES:  # an origin comes before the series that use it
        until = bucket_floor(now, source.step)
        since = _since(start, until, source.step)
        points = source.read(since, until)
        if not points:
            continue
        first[source.key] = min(points)
        timestamps, values = _grid(
            points,
            step=source.step,
            since=since,
            until=until,
            is_count=source.is_count,
            origin=first.get(source.origin),
        )
        unit = None
        if source.squares is not None:
            _, squares = _grid(
                source.squares(since, until),
                step=source.step,
                since=since,
                until=until,
                is_count=True,
                origin=datetime.fromtimestamp(timestamps[0], tz=UTC),
            )
            if len(squares) == len(values):
                unit = trailing_unit(values, squares, width=UNIT_WINDOW[source.step])
        out.append(
            MetricSeries(source.key, source.label, source.step, timestamps, values, unit=unit)
        )
    until = bucket_floor(now, "hour")
    since = _since(start, until, "hour")
    by_endpoint = errors_per_endpoint_bucket(step="hour", since=since, until=until)
    busiest = sorted(by_endpoint, key=lambda e: (-sum(by_endpoint[e].values()), e))
    for endpoint in busiest[:TOP_ENDPOINTS]:
        timestamps, values = _grid(
            by_endpoint[endpoint],
            step="hour",
            since=since,
            until=until,
            is_count=True,
            origin=first.get("errors"),
        )
        out.append(
            MetricSeries(
                f"{ENDPOINT_PREFIX}{endpoint}"[:300],
                f"Errors per hour at {endpoint}"[:300],
                "hour",
                timestamps,
                values,
            )
        )
    return out
