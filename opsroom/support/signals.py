"""Support's point-in-time signals (opsroom.people.signals): tickets people opened."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Count, Q

from opsroom.people.signals import Signal, Signals, SignalSource
from opsroom.support.models import Ticket

SIGNALS = (
    Signal("tickets_30d", "Tickets opened in the last 30 days"),
    Signal("tickets_90d", "Tickets opened in the last 90 days"),
    Signal("tickets_open", "Tickets open at the time (opened before, not yet resolved)"),
)


def ticket_signals(person_ids: Sequence[int], as_of: datetime) -> Signals:
    """Tickets per person before a moment (one grouped query over the last 90 days' tickets
    and the ones still open then)."""
    still_open = Q(resolved_at__isnull=True) | Q(resolved_at__gte=as_of)
    rows = (
        Ticket.objects.filter(requester_id__in=person_ids, created_at__lt=as_of)
        .filter(Q(created_at__gte=as_of - timedelta(days=90)) | still_open)
        .values("requester_id")
        .annotate(
            t30=Count("id", filter=Q(created_at__gte=as_of - timedelta(days=30))),
            t90=Count("id", filter=Q(created_at__gte=as_of - timedelta(days=90))),
            open=Count("id", filter=still_open),
        )
    )
    return {
        row["requester_id"]: {
            "tickets_30d": row["t30"],
            "tickets_90d": row["t90"],
            "tickets_open": row["open"],
        }
        for row in rows
    }


TICKET_SIGNALS = SignalSource(app="support", signals=SIGNALS, provider=ticket_signals)
