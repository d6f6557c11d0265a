"""Messaging's point-in-time signals (opsroom.people.signals): emails sent and opened."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Count, Q

from opsroom.messaging.models import EmailMessage
from opsroom.people.signals import Signal, Signals, SignalSource

SIGNALS = (
    Signal("emails_30d", "Emails sent to the person in the last 30 days"),
    Signal("emails_opened_30d", "Of those, opened (by the time)"),
    Signal("emails_clicked_30d", "Of those, clicked (by the time)"),
)


def email_signals(person_ids: Sequence[int], as_of: datetime) -> Signals:
    """Emails per person in the 30 days before a moment, opened or clicked before it."""
    rows = (
        EmailMessage.objects.filter(
            person_id__in=person_ids,
            created_at__gte=as_of - timedelta(days=30),
            created_at__lt=as_of,
        )
        .exclude(status__in=[EmailMessage.Status.QUEUED, EmailMessage.Status.FAILED])
        .values("person_id")
        .annotate(
            sent=Count("id"),
            opened=Count("id", filter=Q(opened_at__lt=as_of)),
            clicked=Count("id", filter=Q(clicked_at__lt=as_of)),
        )
    )
    return {
        row["person_id"]: {
            "emails_30d": row["sent"],
            "emails_opened_30d": row["opened"],
            "emails_clicked_30d": row["clicked"],
        }
        for row in rows
    }


EMAIL_SIGNALS = SignalSource(app="messaging", signals=SIGNALS, provider=email_signals)
