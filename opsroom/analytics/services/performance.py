"""Endpoint performance: per endpoint, in all and per release, calls, server and client errors,
latency percentiles, the time split (database, external calls, the rest) and query counts over
the last days; each release against the one before it on the same endpoint, flagged when it is
slower or more error-prone with evidence. The same per user action (the host app's `action`).
Recomputed hourly into EndpointPerformance and ActionPerformance.

Slower: the release's durations are larger (one-sided Mann-Whitney U, p < 0.001) and its
median or p95 is at least 20% above the previous release's. More errors: its 5xx rate is
higher (one-sided two-proportion z-test, p < 0.001) by at least a percentage point. Each side
needs 30 calls.

N+1 suspects: a call whose query spans hold N_PLUS_ONE_MIN (10) or more queries of one
fingerprint (telemetry/spans.py); each endpoint and action counts its suspect calls, keeps the
worst few as examples and the fingerprint most often to blame. Without spans, an endpoint
whose p95 of queries per call is 25 or more is marked `many_queries` (a weaker hint).
"""

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from opsroom.analytics.models import ActionPerformance, EndpointPerformance, PerformanceSummary
from opsroom.core import clock
from opsroom.telemetry.series import ApiCallSample, api_call_samples, api_call_spans
from opsroom.telemetry.spans import is_n_plus_one

WINDOW = timedelta(days=14)
MIN_CALLS = 30
ALPHA = 0.001
SLOWER_RATIO = 1.2
MORE_ERRORS = 0.01
MANY_QUERIES = 25
SLOWEST_SINCE = timedelta(hours=24)
SLOWEST_KEPT = 20
EXAMPLES_KEPT = 5
ACTIONS_KEPT = 500


@dataclass
class _Calls:
    durations: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    db: list[float] = field(default_factory=list)  # db_time / duration, where sent
    queries: list[int] = field(default_factory=list)
    # Per call that sent a split: database, external and other milliseconds.
    split: list[tuple[float, float, float]] = field(default_factory=list)
    span_calls: int = 0
    n_plus_one_calls: int = 0
    worst: list[tuple[int, int]] = field(default_factory=list)  # a min-heap of (repeats, id)
    blamed: Counter[str] = field(default_factory=Counter)  # suspect fingerprints
    endpoints: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, call: ApiCallSample) -> None:
        ms = call.duration_ms
        self.durations.append(ms)
        self.statuses.append(call.status)
        if call.db_time_ms is not None and ms > 0:
            self.db.append(min(call.db_time_ms / ms, 1.0))
        if call.query_count is not None:
            self.queries.append(call.query_count)
        if call.db_time_ms is not None or call.external_time_ms is not None:
            db_ms, external_ms = call.db_time_ms or 0.0, call.external_time_ms or 0.0
            self.split.append((db_ms, external_ms, max(ms - db_ms - external_ms, 0.0)))
        if call.repeated_queries is not None:
            self.span_calls += 1
            if is_n_plus_one(call.repeated_queries):
                self.n_plus_one_calls += 1
                self.blamed[call.repeated_fingerprint] += 1
                entry = (call.repeated_queries, call.id)
                if len(self.worst) < EXAMPLES_KEPT:
                    heapq.heappush(self.worst, entry)
                elif entry > self.worst[0]:
                    heapq.heapreplace(self.worst, entry)
        at = call.occurred_at
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last

    def split_figures(self) -> dict[str, object]:
        means = np.mean(np.asarray(self.split, dtype=float), axis=0) if self.split else None
        return {
            "split_calls": len(self.split),
            "db_ms_mean": float(means[0]) if means is not None else None,
            "external_ms_mean": float(means[1]) if means is not None else None,
            "other_ms_mean": float(means[2]) if means is not None else None,
        }

    def n_plus_one_figures(self) -> dict[str, object]:
        return {
            "span_calls": self.span_calls,
            "n_plus_one_calls": self.n_plus_one_calls,
            "n_plus_one_examples": [pk for _, pk in sorted(self.worst, reverse=True)],
        }


def _row(
    method: str, route: str, release: str, calls: _Calls, **extra: object
) -> dict[str, object]:
    durations = np.asarray(calls.durations, dtype=float)
    statuses = np.asarray(calls.statuses)
    p50, p95, p99 = np.percentile(durations, [50, 95, 99])
    queries = np.asarray(calls.queries, dtype=float)
    queries_p95 = float(np.percentile(queries, 95)) if len(queries) else None
    blamed = calls.blamed.most_common(1)
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
        **calls.split_figures(),
        **calls.n_plus_one_figures(),
        "n_plus_one_fingerprint": blamed[0][0][:64] if blamed else "",
        "first_seen_at": calls.first,
        "last_seen_at": calls.last,
        **extra,
    }


def _action_row(action: str, calls: _Calls, **extra: object) -> dict[str, object]:
    durations = np.asarray(calls.durations, dtype=float)
    queries = np.asarray(calls.queries, dtype=float)
    p50, p95 = np.percentile(durations, [50, 95])
    main = calls.endpoints.most_common(1)
    return {
        "action": action,
        "calls": len(durations),
        "server_errors": int((np.asarray(calls.statuses) >= 500).sum()),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "endpoints": len(calls.endpoints),
        "main_endpoint": main[0][0][:210] if main else "",
        "queries_median": float(np.median(queries)) if len(queries) else None,
        "queries_p95": float(np.percentile(queries, 95)) if len(queries) else None,
        **calls.split_figures(),
        **calls.n_plus_one_figures(),
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


def _blamed_sql(rows: list[dict[str, object]]) -> None:
    """Fill in each endpoint's most blamed query, from the spans of one of its examples."""
    wanted = {
        int(row["n_plus_one_examples"][0]): row  # type: ignore[index]
        for row in rows
        if row["n_plus_one_examples"] and row["n_plus_one_fingerprint"]
    }
    for pk, spans in api_call_spans(ids=list(wanted)).items():
        fingerprint = wanted[pk]["n_plus_one_fingerprint"]
        sql = next((str(s.get("sql", "")) for s in spans if s.get("fp") == fingerprint), "")
        wanted[pk]["n_plus_one_sql"] = sql[:500]


def endpoint_performance_refresh(*, now: datetime | None = None) -> int:
    """Recompute every endpoint's and user action's performance over the window, and the
    slowest calls of the last day; returns the endpoint rows written."""
    now = now or clock.now()
    by_endpoint: dict[tuple[str, str], _Calls] = defaultdict(_Calls)
    by_release: dict[tuple[str, str], dict[str, _Calls]] = defaultdict(lambda: defaultdict(_Calls))
    by_action: dict[str, _Calls] = defaultdict(_Calls)
    slowest: list[tuple[float, int]] = []  # a min-heap of the day's slowest (ms, id)
    day_ago = now - SLOWEST_SINCE
    for call in api_call_samples(since=now - WINDOW, until=now):
        if call.occurred_at >= day_ago:
            entry = (call.duration_ms, call.id)
            if len(slowest) < SLOWEST_KEPT:
                heapq.heappush(slowest, entry)
            elif entry > slowest[0]:
                heapq.heapreplace(slowest, entry)
        by_endpoint[(call.method, call.route)].add(call)
        if call.release:
            by_release[(call.method, call.route)][call.release].add(call)
        if call.action:
            action = by_action[call.action]
            action.add(call)
            action.endpoints[f"{call.method} {call.route}"] += 1
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
    _blamed_sql([row for row in rows if not row["release"]])
    actions = sorted(by_action.items(), key=lambda item: (-len(item[1].durations), item[0]))
    action_rows = [_action_row(name[:100], calls, **common) for name, calls in actions]
    with transaction.atomic():
        EndpointPerformance.objects.all().delete()
        EndpointPerformance.objects.bulk_create(
            [EndpointPerformance(**row) for row in rows], batch_size=500
        )
        ActionPerformance.objects.all().delete()
        ActionPerformance.objects.bulk_create(
            [ActionPerformance(**row) for row in action_rows[:ACTIONS_KEPT]], batch_size=500
        )
        PerformanceSummary.objects.update_or_create(
            key="latest",
            defaults={
                "slowest_ids": [pk for _, pk in sorted(slowest, reverse=True)],
                "computed_at": now,
            },
        )
    return len(rows)
