"""Reads of errors, API requests and deliveries."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from opsroom.telemetry.models import ErrorEvent, IntegrationDelivery


def errors_count(*, since: datetime) -> int:
    """Error occurrences (level error or fatal) since a time."""
    return ErrorEvent.objects.filter(occurred_at__gte=since, level__in=("error", "fatal")).count()


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
