"""Reads of errors, API requests and deliveries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, QuerySet

from opsroom.core.lookups import comparison_lookup
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery
from opsroom.telemetry.spans import N_PLUS_ONE_MIN


def errors_count(*, since: datetime) -> int:
    """Error occurrences (level error or fatal) since a time."""
    return ErrorEvent.objects.filter(occurred_at__gte=since, level__in=("error", "fatal")).count()


# Reads for one person (the People app's User 360), person-id sets for its filters, and the
# fingerprint and release tallies behind its "bug affecting N other users" insight.

_ERROR_LEVELS = ("error", "fatal")


def errors_for_person(
    *,
    person_id: int,
    before: datetime | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> list[ErrorEvent]:
    """A person's errors, newest first."""
    errors = ErrorEvent.objects.filter(person_id=person_id)
    if before is not None:
        errors = errors.filter(occurred_at__lte=before)
    if since is not None:
        errors = errors.filter(occurred_at__gte=since)
    return list(errors.order_by("-occurred_at", "-id")[:limit])


def error_count_for_person(*, person_id: int, since: datetime) -> int:
    """A person's errors (level error or fatal) since a time."""
    return ErrorEvent.objects.filter(
        person_id=person_id, occurred_at__gte=since, level__in=_ERROR_LEVELS
    ).count()


def error_groups_for_person(*, person_id: int, since: datetime) -> list[dict[str, Any]]:
    """A person's errors since a time, grouped by endpoint and fingerprint, most first."""
    rows = (
        ErrorEvent.objects.filter(
            person_id=person_id, occurred_at__gte=since, level__in=_ERROR_LEVELS
        )
        .values("endpoint", "fingerprint")
        .annotate(
            n=Count("id"),
            last_at=Max("occurred_at"),
            title=Max("title"),
            issue_id=Max("issue_id"),
            release=Max("release"),
        )
        .order_by("-n", "-last_at")
    )
    return list(rows)


def api_requests_for_person(
    *, person_id: int, since: datetime, limit: int = 100
) -> list[ApiRequest]:
    """A person's API calls since a time, newest first, without their payloads."""
    return list(
        ApiRequest.objects.filter(person_id=person_id, occurred_at__gte=since)
        .defer("request_body", "response_body")
        .order_by("-occurred_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class ApiClientUse:
    user_agent: str
    calls: int
    last_at: datetime


def api_clients_for_person(*, person_id: int, since: datetime) -> list[ApiClientUse]:
    """The clients (User-Agent headers) a person's API calls came from since a time, latest
    first, with how many calls each made."""
    rows = (
        ApiRequest.objects.filter(person_id=person_id, occurred_at__gte=since)
        .values("user_agent")
        .annotate(calls=Count("id"), last_at=Max("occurred_at"))
        .order_by("-last_at")
    )
    return [ApiClientUse(row["user_agent"] or "", row["calls"], row["last_at"]) for row in rows]


def api_request_for_person(*, person_id: int, request_pk: int) -> ApiRequest | None:
    """One of a person's API calls, with its (redacted) payloads."""
    return ApiRequest.objects.filter(person_id=person_id, pk=request_pk).first()


def deliveries_for_person(*, person_id: int, limit: int = 10) -> list[IntegrationDelivery]:
    """Deliveries (webhooks, imports) that concerned a person, newest first."""
    return list(
        IntegrationDelivery.objects.filter(person_id=person_id)
        .defer("payload")
        .order_by("-received_at", "-id")[:limit]
    )


def error_counts_by_person(
    *, since: datetime, person_ids: Sequence[int] | None = None, until: datetime | None = None
) -> dict[int, int]:
    """Errors (level error or fatal) per person (everyone, or the ones given) since a time (and
    before `until`, when given)."""
    errors = ErrorEvent.objects.filter(
        occurred_at__gte=since, level__in=_ERROR_LEVELS, person_id__isnull=False
    )
    if until is not None:
        errors = errors.filter(occurred_at__lt=until)
    if person_ids is not None:
        errors = errors.filter(person_id__in=person_ids)
    rows = errors.values("person_id").annotate(n=Count("id"))
    return {row["person_id"]: row["n"] for row in rows}


def person_ids_by_error_count(*, op: str, count: int, since: datetime) -> QuerySet[ErrorEvent, int]:
    """Ids of people whose errors since a time compare to a number (people with none are not
    listed; callers add them when the comparison holds for 0)."""
    lookup = comparison_lookup(op)
    return (
        ErrorEvent.objects.filter(
            occurred_at__gte=since, level__in=_ERROR_LEVELS, person_id__isnull=False
        )
        .values("person_id")
        .annotate(n=Count("id"))
        .filter(**{f"n__{lookup}": count})
        .values_list("person_id", flat=True)
    )


def _errors_between(since: datetime, until: datetime | None) -> QuerySet[ErrorEvent]:
    rows = ErrorEvent.objects.filter(occurred_at__gte=since, level__in=_ERROR_LEVELS)
    return rows.filter(occurred_at__lt=until) if until is not None else rows


def error_fingerprint_stats(
    *, since: datetime, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per fingerprint since a time (and before another): occurrences, distinct people, first
    and last time."""
    return list(
        _errors_between(since, until)
        .values("fingerprint")
        .annotate(
            occurrences=Count("id"),
            people=Count("person_id", distinct=True),
            first_seen=Min("occurred_at"),
            last_seen=Max("occurred_at"),
            title=Max("title"),
            endpoint=Max("endpoint"),
        )
    )


def error_release_stats(*, since: datetime, until: datetime | None = None) -> list[dict[str, Any]]:
    """Per fingerprint and release since a time (and before another): occurrences, first and
    last time."""
    return list(
        _errors_between(since, until)
        .values("fingerprint", "release")
        .annotate(n=Count("id"), first_seen=Min("occurred_at"), last_seen=Max("occurred_at"))
    )


def release_traffic(*, since: datetime) -> list[dict[str, Any]]:
    """Per release seen in API calls since a time: first time seen and number of calls."""
    return list(
        ApiRequest.objects.filter(occurred_at__gte=since)
        .exclude(release="")
        .values("release")
        .annotate(first_seen=Min("occurred_at"), requests=Count("id"))
        .order_by("first_seen")
    )


def delivery_seen(*, source: str, external_id: str) -> bool:
    """Whether a delivery with this id was already handled (processed, stale or ignored)."""
    return IntegrationDelivery.objects.filter(
        source=source,
        external_id=external_id,
        outcome__in=(
            IntegrationDelivery.Outcome.PROCESSED,
            IntegrationDelivery.Outcome.STALE,
            IntegrationDelivery.Outcome.IGNORED,
        ),
    ).exists()


@dataclass(frozen=True)
class DeliveryFilter:
    source: str = ""
    outcome: str = ""
    event_type: str = ""
    external_id: str = ""


def delivery_list(*, filters: DeliveryFilter) -> QuerySet[IntegrationDelivery]:
    """Deliveries, newest first, narrowed by source, outcome, type and external id."""
    deliveries = IntegrationDelivery.objects.select_related("person").order_by(
        "-received_at", "-id"
    )
    if filters.source:
        deliveries = deliveries.filter(source=filters.source)
    if filters.outcome:
        deliveries = deliveries.filter(outcome=filters.outcome)
    if filters.event_type:
        deliveries = deliveries.filter(event_type__icontains=filters.event_type)
    if filters.external_id:
        deliveries = deliveries.filter(external_id=filters.external_id)
    return deliveries


def delivery_sources() -> list[str]:
    """The sources that have delivered anything."""
    return sorted(
        IntegrationDelivery.objects.values_list("source", flat=True).distinct().order_by()
    )


@dataclass(frozen=True)
class SourceStatus:
    source: str
    last_received_at: datetime | None
    last_processed_at: datetime | None
    outcomes: dict[str, int]  # in the window
    last_error: str

    @property
    def is_failing(self) -> bool:
        return bool(self.outcomes.get("failed") or self.outcomes.get("rejected"))


def integration_status(*, since: datetime) -> list[SourceStatus]:
    """Per source: when it last delivered, outcomes since a time, and its latest error."""
    statuses = []
    for source in delivery_sources():
        of_source = IntegrationDelivery.objects.filter(source=source)
        latest = of_source.aggregate(at=Max("received_at"))["at"]
        processed = of_source.filter(outcome="processed").aggregate(at=Max("received_at"))["at"]
        counts = dict(
            of_source.filter(received_at__gte=since)
            .values("outcome")
            .annotate(n=Count("id"))
            .values_list("outcome", "n")
        )
        error = (
            of_source.exclude(error="").order_by("-received_at").values_list("error", flat=True)
        ).first()
        statuses.append(SourceStatus(source, latest, processed, counts, error or ""))
    return statuses


def error_times_for_people(
    *, person_ids: Sequence[int], since: datetime
) -> dict[int, list[datetime]]:
    """Times of each of some people's errors (level error or fatal) since a time."""
    times: dict[int, list[datetime]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 2000):
        rows = ErrorEvent.objects.filter(
            person_id__in=ids[start : start + 2000],
            occurred_at__gte=since,
            level__in=_ERROR_LEVELS,
        ).values_list("person_id", "occurred_at")
        for person_id, at in rows:
            times.setdefault(person_id, []).append(at)
    return times


# One error group (a fingerprint): its people, releases and failing requests.


def error_group_people(*, fingerprint: str) -> list[dict[str, Any]]:
    """Each person a fingerprint reached: first and last time and occurrences, most first."""
    return list(
        ErrorEvent.objects.filter(fingerprint=fingerprint, person_id__isnull=False)
        .values("person_id")
        .annotate(first_at=Min("occurred_at"), last_at=Max("occurred_at"), n=Count("id"))
        .order_by("-n", "first_at")
    )


def error_group_summary(*, fingerprint: str) -> dict[str, Any] | None:
    """A fingerprint's title, main endpoint, occurrences, people, first and last time."""
    rows = ErrorEvent.objects.filter(fingerprint=fingerprint)
    summary = rows.aggregate(
        occurrences=Count("id"),
        people=Count("person_id", distinct=True),
        first_seen=Min("occurred_at"),
        last_seen=Max("occurred_at"),
        title=Max("title"),
        issue_id=Max("issue_id"),
        level=Max("level"),
    )
    if not summary["occurrences"]:
        return None
    endpoint = (
        rows.values("endpoint")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("endpoint", flat=True)
    ).first()
    summary["endpoint"] = endpoint or ""
    summary["fingerprint"] = fingerprint
    return summary


def error_group_releases(*, fingerprint: str) -> list[dict[str, Any]]:
    """Per release: a fingerprint's occurrences, first and last time, oldest first."""
    return list(
        ErrorEvent.objects.filter(fingerprint=fingerprint)
        .values("release")
        .annotate(n=Count("id"), first_seen=Min("occurred_at"), last_seen=Max("occurred_at"))
        .order_by("first_seen")
    )


def error_group_requests(*, fingerprint: str, limit: int = 20) -> list[ApiRequest]:
    """The recorded API requests that raised a fingerprint (errors tagged with a request id)."""
    ids = [
        tags.get("request_id")
        for tags in ErrorEvent.objects.filter(fingerprint=fingerprint)
        .order_by("-occurred_at")
        .values_list("tags", flat=True)[: limit * 3]
        if isinstance(tags, dict) and tags.get("request_id")
    ]
    return list(
        ApiRequest.objects.filter(request_id__in=ids[: limit * 3])
        .select_related("person")
        .defer("request_body", "response_body")
        .order_by("-occurred_at")[:limit]
    )


def route_callers(
    *, method: str, route: str, since: datetime, until: datetime
) -> dict[int, datetime]:
    """Each person who called a route in a time range, with their first call."""
    rows = (
        ApiRequest.objects.filter(
            route=route, method=method, occurred_at__gte=since, occurred_at__lt=until
        )
        .filter(person_id__isnull=False)
        .values("person_id")
        .annotate(first=Min("occurred_at"))
        .values_list("person_id", "first")
    )
    return dict(rows)


@dataclass(frozen=True)
class RequestFilter:
    person_id: int | None = None
    route: str = ""  # contains
    method: str = ""
    status: str = ""  # "500", or a class: "5xx", "4xx"
    min_ms: float | None = None
    max_ms: float | None = None
    release: str = ""
    since: datetime | None = None
    until: datetime | None = None
    action: str = ""
    n_plus_one: bool = False  # only requests flagged by the N+1 rule (telemetry/spans.py)


def api_request_list(
    *, filters: RequestFilter, offset: int = 0, limit: int = 50
) -> list[ApiRequest]:
    """Recorded requests, newest first, narrowed by the filters (one page, without bodies)."""
    rows = ApiRequest.objects.select_related("person").defer(
        "request_body", "response_body", "spans"
    )
    if filters.person_id is not None:
        rows = rows.filter(person_id=filters.person_id)
    if filters.route:
        rows = rows.filter(route__icontains=filters.route)
    if filters.method:
        rows = rows.filter(method=filters.method.upper())
    if filters.status:
        if filters.status.endswith("xx"):
            low = int(filters.status[0]) * 100
            rows = rows.filter(status__gte=low, status__lt=low + 100)
        else:
            rows = rows.filter(status=int(filters.status))
    if filters.min_ms is not None:
        rows = rows.filter(duration_ms__gte=filters.min_ms)
    if filters.max_ms is not None:
        rows = rows.filter(duration_ms__lte=filters.max_ms)
    if filters.release:
        rows = rows.filter(release=filters.release)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.n_plus_one:
        rows = rows.filter(repeated_queries__gte=N_PLUS_ONE_MIN)
    if filters.since is not None:
        rows = rows.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(occurred_at__lt=filters.until)
    return list(rows.order_by("-occurred_at", "-id")[offset : offset + limit])


def api_request_get(*, request_pk: int) -> ApiRequest | None:
    """One recorded request with its (redacted) bodies and its replays."""
    return ApiRequest.objects.select_related("person").filter(pk=request_pk).first()


def api_request_by_request_id(*, request_id: str) -> ApiRequest | None:
    """A recorded request by the host app's request id."""
    return ApiRequest.objects.select_related("person").filter(request_id=request_id).first()
