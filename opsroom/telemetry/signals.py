"""Telemetry's point-in-time signals (opsroom.people.signals): errors people ran into."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Count, Q

from opsroom.people.signals import Signal, Signals, SignalSource
from opsroom.telemetry.models import ErrorEvent

SIGNALS = (
    Signal("errors_7d", "Errors the person ran into in the last 7 days"),
    Signal("errors_30d", "Errors the person ran into in the last 30 days"),
    Signal("error_kinds_30d", "Different errors (fingerprints) in the last 30 days"),
)


def error_signals(person_ids: Sequence[int], as_of: datetime) -> Signals:
    """Errors per person before a moment (one grouped query)."""
    rows = (
        ErrorEvent.objects.filter(
            person_id__in=person_ids,
            occurred_at__gte=as_of - timedelta(days=30),
            occurred_at__lt=as_of,
        )
        .values("person_id")
        .annotate(
            e7=Count("id", filter=Q(occurred_at__gte=as_of - timedelta(days=7))),
            e30=Count("id"),
            kinds=Count("fingerprint", distinct=True),
        )
    )
    return {
        row["person_id"]: {
            "errors_7d": row["e7"],
            "errors_30d": row["e30"],
            "error_kinds_30d": row["kinds"],
        }
        for row in rows
    }


ERROR_SIGNALS = SignalSource(app="telemetry", signals=SIGNALS, provider=error_signals)
