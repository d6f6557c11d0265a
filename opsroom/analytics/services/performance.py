"""Endpoint performance: per endpoint, in all and per release, calls, server and client errors,
latency percentiles, database share and query counts over the last days; each release against
the one before it on the same endpoint, flagged when it is slower or more error-prone with
evidence. Recomputed hourly into EndpointPerformance.

Slower: the release's durations are larger (one-sided Mann-Whitney U, p < 0.001) and its
median or p95 is at least 20% above the previous release's. More errors: its 5xx rate is
higher (one-sided two-proportion z-test, p < 0.001) by at least a percentage point. Each side
needs 30 calls. Many queries (an N+1 suspect): the p95 of queries per call is 25 or more;
telling similar queries apart needs per-query spans, which the ingest does not take.
"""

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from opsroom.analytics.models import EndpointPerformance, PerformanceSummary
from opsroom.core import clock
from opsroom.telemetry.series import api_call_samples

WINDOW = timedelta(days=14)
MIN_CALLS = 30
ALPHA = 0.001
SLOWER_RATIO = 1.2
MORE_ERRORS = 0.01
MANY_QUERIES = 25
SLOWEST_SINCE = timedelta(hours=24)
SLOWEST_KEPT = 20


@dataclass
class _Calls:
    durations: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    db: list[float] = field(default_factory=list)  # db_time / duration, where sent
    queries: list[int] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None

    def add(
        self, status: int, ms: float, db_ms: float | None, queries: int | None, at: datetime
    ) -> None:
        self.durations.append(ms)
        self.statuses.append(status)
        if db_ms is not None and ms > 0:
            self.db.append(min(db_ms / ms, 1.0))
        if queries is not None:
            self.queries.append(queries)
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last


def _row(
    method: str, route: str, release: str, calls: _Calls, **extra: object
) -> dict[str, object]:
    durations = np.asarray(calls.durations, dtype=float)
    statuses = np.asarray(calls.statuses)
    p50, p95, p99 = np.percentile(durations, [50, 95, 99])
    queries = np.asarray(calls.queries, dtype=float)
    queries_p95 = float(np.percentile(queries, 95)) if len(queries) else None
    return {
        "method": method,
        "route": route,
        "release": release,
        "calls": len(durations),
        "server_errors": int((statuses >= 500).sum()),
        "client_errors": int(((statuses >= 400) & (statuses < 500)).sum()),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "max_ms": float(durations.max()),
        "db_share": float(np.mean(calls.db)) if calls.db else None,
        "queries_median": float(np.median(queries)) if len(queries) else None,
        "queries_p95": queries_p95,
        "queries_max": int(queries.max()) if len(queries) else None,
        "many_queries": queries_p95 is not None and queries_p95 >= MANY_QUERIES,
        "first_seen_at": calls.first,
        "last_seen_at": calls.last,
        **extra,
    }


def release_compare(current: _Calls, previous: _Calls) -> dict[str, object]:
    """The evidence that a release is slower or more error-prone than the one before it."""
    now_ms = np.asarray(current.durations, dtype=float)
    before_ms = np.asarray(previous.durations, dtype=float)
    now_err = int((np.asarray(current.statuses) >= 500).sum())
    before_err = int((np.asarray(previous.statuses) >= 500).sum())
    out: dict[str, object] = {
        "previous_calls": len(before_ms),
        "previous_p50_ms": float(np.median(before_ms)),
        "previous_p95_ms": float(np.percentile(before_ms, 95)),
        "previous_error_rate": before_err / len(before_ms),
    }
    if len(now_ms) < MIN_CALLS or len(before_ms) < MIN_CALLS:
        return out
    latency_p = float(stats.mannwhitneyu(now_ms, before_ms, alternative="greater").pvalue)
    ratio = max(
        float(np.median(now_ms)) / max(float(np.median(before_ms)), 1e-9),
        float(np.percentile(now_ms, 95)) / max(float(np.percentile(before_ms, 95)), 1e-9),
    )
    rate_now, rate_before = now_err / len(now_ms), before_err / len(before_ms)
    error_p = 1.0
    if now_err + before_err > 0 and rate_now > rate_before:
        _, p = proportions_ztest(
            [now_err, before_err], [len(now_ms), len(before_ms)], alternative="larger"
        )
        error_p = float(p) if np.isfinite(p) else 0.0
    out |= {
        "latency_p_value": latency_p,
        "error_p_value": error_p,
        "slower": latency_p < ALPHA and ratio >= SLOWER_RATIO,
        "more_errors": error_p < ALPHA and rate_now - rate_before >= MORE_ERRORS,
    }
    return out


def endpoint_performance_refresh(*, now: datetime | None = None) -> int:
    """Recompute every endpoint's performance over the window, and the slowest calls of the
    last day; returns the endpoint rows written."""
    now = now or clock.now()
    by_endpoint: dict[tuple[str, str], _Calls] = defaultdict(_Calls)
    by_release: dict[tuple[str, str], dict[str, _Calls]] = defaultdict(lambda: defaultdict(_Calls))
    slowest: list[tuple[float, int]] = []  # a min-heap of the day's slowest (ms, id)
    day_ago = now - SLOWEST_SINCE
    for method, route, release, status, ms, db_ms, queries, at, pk in api_call_samples(
        since=now - WINDOW, until=now
    ):
        if at >= day_ago:
            if len(slowest) < SLOWEST_KEPT:
                heapq.heappush(slowest, (ms, pk))
            elif (ms, pk) > slowest[0]:
                heapq.heapreplace(slowest, (ms, pk))
        by_endpoint[(method, route)].add(status, ms, db_ms, queries, at)
        if release:
            by_release[(method, route)][release].add(status, ms, db_ms, queries, at)
    rows = []
    common = {"window_days": WINDOW.days, "computed_at": now}
    for (method, route), calls in by_endpoint.items():
        rows.append(_row(method, route, "", calls, **common))
        releases = sorted(
            by_release[(method, route)].items(), key=lambda item: (item[1].first or now, item[0])
        )
        for i, (release, release_calls) in enumerate(releases):
            extra: dict[str, object] = dict(common)
            if i > 0:
                previous_release, previous = releases[i - 1]
                extra |= {"previous_release": previous_release[:100]}
                extra |= release_compare(release_calls, previous)
            rows.append(_row(method, route[:200], release[:100], release_calls, **extra))
    with transaction.atomic():
        EndpointPerformance.objects.all().delete()
        EndpointPerformance.objects.bulk_create(
            [EndpointPerformance(**row) for row in rows], batch_size=500
        )
        PerformanceSummary.objects.update_or_create(
            key="latest",
            defaults={
                "slowest_ids": [pk for _, pk in sorted(slowest, reverse=True)],
                "computed_at": now,
            },
        )
    return len(rows)
