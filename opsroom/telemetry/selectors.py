"""Reads of errors, API requests and deliveries."""

from datetime import datetime

from opsroom.telemetry.models import ErrorEvent


def errors_count(*, since: datetime) -> int:
    """Error occurrences (level error or fatal) since a time."""
    return ErrorEvent.objects.filter(occurred_at__gte=since, level__in=("error", "fatal")).count()
