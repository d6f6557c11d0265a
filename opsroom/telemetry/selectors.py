"""Reads of errors, API requests and deliveries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, QuerySet

from opsroom.core.lookups import comparison_lookup
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery


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


def error_fingerprint_stats(*, since: datetime) -> list[dict[str, Any]]:
    """Per fingerprint since a time: occurrences, distinct people, first and last time."""
    return list(
        ErrorEvent.objects.filter(occurred_at__gte=since, level__in=_ERROR_LEVELS)
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


def error_release_stats(*, since: datetime) -> list[dict[str, Any]]:
    """Per fingerprint and release since a time: occurrences, first and last time."""
    return list(
        ErrorEvent.objects.filter(occurred_at__gte=since, level__in=_ERROR_LEVELS)
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
