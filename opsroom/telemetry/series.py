"""Telemetry's metric series for the anomaly watch: errors (in all and per endpoint), API
calls, server errors and mean latency, per hour or day; API call durations for the p95."""

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Avg, Min

from opsroom.core.timeseries import Step, per_bucket
from opsroom.telemetry.models import ApiRequest, ErrorEvent

_ERROR_LEVELS = (ErrorEvent.Level.ERROR, ErrorEvent.Level.FATAL)


def _flat(rows: dict[tuple[str, datetime], float]) -> dict[datetime, float]:
    return {bucket: value for (_, bucket), value in rows.items()}


def errors_per_bucket(*, step: Step, since: datetime, until: datetime) -> dict[datetime, float]:
    """Errors (level error or fatal), per hour or day."""
    return _flat(
        per_bucket(
            ErrorEvent.objects.filter(level__in=_ERROR_LEVELS),
            field="occurred_at",
            step=step,
            since=since,
            until=until,
        )
    )


def errors_per_endpoint_bucket(
    *, step: Step, since: datetime, until: datetime
) -> dict[str, dict[datetime, float]]:
    """Errors per endpoint (those with an endpoint), per hour or day."""
    rows = per_bucket(
        ErrorEvent.objects.filter(level__in=_ERROR_LEVELS).exclude(endpoint=""),
        field="occurred_at",
        step=step,
        since=since,
        until=until,
        by="endpoint",
    )
    out: dict[str, dict[datetime, float]] = {}
    for (endpoint, bucket), value in rows.items():
        out.setdefault(endpoint, {})[bucket] = value
    return out


def api_calls_per_bucket(
    *, step: Step, since: datetime, until: datetime, server_errors: bool = False
) -> dict[datetime, float]:
    """Recorded API calls (or only those answered 5xx), per hour or day."""
    requests = ApiRequest.objects.all()
    if server_errors:
        requests = requests.filter(status__gte=500)
    return _flat(per_bucket(requests, field="occurred_at", step=step, since=since, until=until))


def api_latency_per_bucket(
    *, step: Step, since: datetime, until: datetime
) -> dict[datetime, float]:
    """Mean API call duration in milliseconds, per hour or day (absent where no call)."""
    return _flat(
        per_bucket(
            ApiRequest.objects.all(),
            field="occurred_at",
            step=step,
            since=since,
            until=until,
            value=Avg("duration_ms"),
        )
    )


def api_durations(*, since: datetime, until: datetime) -> Iterator[tuple[datetime, float]]:
    """(time, duration in ms) of each recorded API call in [since, until), streamed."""
    return (
        ApiRequest.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .order_by()
        .values_list("occurred_at", "duration_ms")
        .iterator(chunk_size=10000)
    )


def releases_first_seen(*, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
    """Releases whose first API call falls in [since, until), with that time, oldest first."""
    rows = (
        ApiRequest.objects.exclude(release="")
        .values("release")
        .annotate(first_seen=Min("occurred_at"))
        .filter(first_seen__gte=since, first_seen__lt=until)
        .order_by("first_seen")
    )
    return [(row["release"], row["first_seen"]) for row in rows]


class ApiCallSample(NamedTuple):
    method: str
    route: str
    release: str
    status: int
    duration_ms: float
    db_time_ms: float | None
    query_count: int | None
    occurred_at: datetime
    id: int
    external_time_ms: float | None
    action: str
    repeated_queries: int | None  # None: no spans sent
    repeated_fingerprint: str


def api_call_samples(*, since: datetime, until: datetime) -> Iterator[ApiCallSample]:
    """Each recorded API call in [since, until), without bodies or spans, streamed."""
    rows = (
        ApiRequest.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .order_by()
        .values_list(*ApiCallSample._fields)
        .iterator(chunk_size=5000)
    )
    return (ApiCallSample(*row) for row in rows)


def api_call_spans(*, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The stored query spans of some recorded calls, by id."""
    found = ApiRequest.objects.filter(pk__in=list(ids)).values_list("id", "spans")
    return {pk: spans if isinstance(spans, list) else [] for pk, spans in found}


def api_calls_by_ids(*, ids: Sequence[int]) -> list[ApiRequest]:
    """Recorded API calls by id, in the order given (missing ones left out; without bodies)."""
    found = ApiRequest.objects.select_related("person").defer(
        "request_body", "response_body", "spans"
    )
    by_id = found.in_bulk(list(ids))
    return [by_id[pk] for pk in ids if pk in by_id]


def errors_of_people(
    *, person_ids: Sequence[int], since: datetime, until: datetime
) -> list[tuple[int, str, str, str, datetime]]:
    """(person id, fingerprint, title, endpoint, time) of some people's errors (level error or
    fatal) in [since, until), oldest first."""
    out: list[tuple[int, str, str, str, datetime]] = []
    ids = list(person_ids)
    for start in range(0, len(ids), 1000):
        out.extend(
            ErrorEvent.objects.filter(
                person_id__in=ids[start : start + 1000],
                level__in=_ERROR_LEVELS,
                occurred_at__gte=since,
                occurred_at__lt=until,
            )
            .order_by("occurred_at", "id")
            .values_list("person_id", "fingerprint", "title", "endpoint", "occurred_at")
        )
    return sorted(out, key=lambda row: row[4])
