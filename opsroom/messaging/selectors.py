"""Reads of emails, templates and sequences."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from opsroom.messaging.models import EmailMessage, EmailTemplate, SequenceEnrollment


def emails_for_person(
    *, person_id: int, before: datetime | None = None, limit: int = 20
) -> list[EmailMessage]:
    """Emails sent to a person, newest first."""
    emails = EmailMessage.objects.filter(person_id=person_id).select_related("template", "sequence")
    if before is not None:
        emails = emails.filter(created_at__lte=before)
    return list(emails.order_by("-created_at", "-id")[:limit])


def enrollments_for_person(*, person_id: int) -> list[SequenceEnrollment]:
    """A person's email sequences and where they are in each, newest first."""
    return list(
        SequenceEnrollment.objects.filter(person_id=person_id)
        .select_related("sequence")
        .order_by("-enrolled_at", "-id")
    )


def template_list(*, active_only: bool = True) -> list[EmailTemplate]:
    """Email templates, by name."""
    templates = EmailTemplate.objects.all()
    if active_only:
        templates = templates.filter(is_active=True)
    return list(templates.order_by("name"))


def template_get(*, key: str) -> EmailTemplate | None:
    """An active email template by key."""
    return EmailTemplate.objects.filter(key=key, is_active=True).first()


@dataclass(frozen=True)
class EmailSummary:
    sent_since: int
    opened_since: int
    last: EmailMessage | None
    active_sequences: list[str]


def email_summary_for_person(*, person_id: int, since: datetime) -> EmailSummary:
    """Emails to a person since a time (sent, opened), their latest email, sequences they are in."""
    sent = ~Q(status__in=[EmailMessage.Status.QUEUED, EmailMessage.Status.FAILED])
    counts = EmailMessage.objects.filter(person_id=person_id, created_at__gte=since).aggregate(
        sent=Count("id", filter=sent),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
    )
    return EmailSummary(
        sent_since=counts["sent"],
        opened_since=counts["opened"],
        last=EmailMessage.objects.filter(person_id=person_id)
        .order_by("-created_at", "-id")
        .first(),
        active_sequences=list(
            SequenceEnrollment.objects.filter(
                person_id=person_id, status=SequenceEnrollment.Status.ACTIVE
            )
            .order_by("sequence__name")
            .values_list("sequence__name", flat=True)
        ),
    )


@dataclass(frozen=True)
class EmailOutcome:
    id: int
    person_id: int
    template_key: str
    sent_at: datetime
    opened: bool
    clicked: bool


def email_outcomes(
    *, template_keys: list[str], since: datetime, until: datetime
) -> list[EmailOutcome]:
    """Emails of some templates sent between two times, and whether each was opened or
    clicked (by anyone: Opsroom or the host app)."""
    rows = (
        EmailMessage.objects.filter(
            template__key__in=template_keys, created_at__gte=since, created_at__lte=until
        )
        .exclude(status__in=[EmailMessage.Status.QUEUED, EmailMessage.Status.FAILED])
        .values_list("id", "person_id", "template__key", "created_at", "opened_at", "clicked_at")
    )
    return [
        EmailOutcome(
            id=pk,
            person_id=person_id,
            template_key=key,
            sent_at=sent,
            opened=opened is not None or clicked is not None,
            clicked=clicked is not None,
        )
        for pk, person_id, key, sent, opened, clicked in rows
        if person_id is not None
    ]


def email_outcomes_by_id(*, email_ids: list[int]) -> dict[int, EmailOutcome]:
    """Whether each of these emails was opened or clicked."""
    rows = EmailMessage.objects.filter(id__in=email_ids).values_list(
        "id", "person_id", "template__key", "created_at", "opened_at", "clicked_at"
    )
    return {
        pk: EmailOutcome(
            id=pk,
            person_id=person_id or 0,
            template_key=key or "",
            sent_at=sent,
            opened=opened is not None or clicked is not None,
            clicked=clicked is not None,
        )
        for pk, person_id, key, sent, opened, clicked in rows
    }


@dataclass(frozen=True)
class DeliveryFigures:
    queued: int
    sent: int  # left Opsroom (sent or any later state)
    delivered: int
    opened: int
    clicked: int
    bounced: int
    failed: int


def email_delivery_figures(*, email_ids: list[int] | QuerySet[Any]) -> DeliveryFigures:
    """How a set of emails fared: sent, delivered, opened, clicked, bounced, failed. Pass a
    query of the ids (a subquery) for a large set: a list is one SQL parameter per id."""
    rows = EmailMessage.objects.filter(id__in=email_ids).values_list(
        "status", "delivered_at", "opened_at", "clicked_at", "bounced_at"
    )
    queued = sent = delivered = opened = clicked = bounced = failed = 0
    for status, delivered_at, opened_at, clicked_at, bounced_at in rows:
        if status in (EmailMessage.Status.QUEUED, EmailMessage.Status.SENDING):
            queued += 1
        elif status == EmailMessage.Status.FAILED:
            failed += 1
        else:
            sent += 1
        delivered += delivered_at is not None or opened_at is not None or clicked_at is not None
        opened += opened_at is not None or clicked_at is not None
        clicked += clicked_at is not None
        bounced += bounced_at is not None
    return DeliveryFigures(queued, sent, delivered, opened, clicked, bounced, failed)
