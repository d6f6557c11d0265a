"""Reads of errors, API requests and deliveries."""

from datetime import datetime

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
