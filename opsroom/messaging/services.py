"""Writes of email templates, sequences and messages; emails are queued for the outbox."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.template import Context, Template, TemplateSyntaxError

from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import Row, UpsertResult, rows_upsert
from opsroom.messaging.models import (
    EmailMessage,
    EmailSequence,
    EmailTemplate,
    SequenceEnrollment,
)
from opsroom.messaging.sending import EMAIL_SEND
from opsroom.people.models import Person

# Tracking event -> the timestamp field it sets.
TRACKING_FIELDS = {
    "sent": "sent_at",
    "delivered": "delivered_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
}


def template_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[EmailTemplate]:
    """Create or update email templates by key; their syntax is checked first."""
    for row in rows:
        for name in ("subject", "body_text"):
            if name in row:
                template_check(row[name])
    return rows_upsert(EmailTemplate, key_field="key", rows=rows)


def sequence_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[EmailSequence]:
    """Create or update sequences by key."""
    return rows_upsert(EmailSequence, key_field="key", rows=rows)


_ENROLLMENT_FIELDS = {
    "person_id",
    "sequence_id",
    "status",
    "steps_sent",
    "enrolled_at",
    "next_step_at",
    "finished_at",
    "exit_reason",
}


@transaction.atomic
def enrollment_record_many(*, rows: Sequence[Row]) -> list[SequenceEnrollment]:
    """Store sequence enrolments as they stand (e.g. history a host app or the demo sends)."""
    statuses = set(SequenceEnrollment.Status.values)
    for row in rows:
        unknown = set(row) - _ENROLLMENT_FIELDS
        if unknown:
            raise InvalidInput(f"unknown enrolment fields: {sorted(unknown)}")
        if row.get("status", "active") not in statuses:
            raise InvalidInput(f"unknown enrolment status {row['status']!r}")
    return SequenceEnrollment.objects.bulk_create(
        [SequenceEnrollment(**row) for row in rows], batch_size=500
    )


def template_check(source: str) -> None:
    """Raise ValueError when a template does not compile."""
    try:
        Template(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"template error: {exc}") from exc


def template_render(source: str, *, person: Person, extra: dict[str, Any] | None = None) -> str:
    """Render a template string for a person (autoescape off: this is plain text)."""
    context = {
        "person": person,
        "first_name": (person.name or "there").split()[0],
        "site_url": settings.SITE_URL,
        **(extra or {}),
    }
    return Template("{% autoescape off %}" + source + "{% endautoescape %}").render(
        Context(context)
    )


def _message_prepare(current: EmailMessage | None, row: Row) -> Row:
    values = dict(row)
    if current is None or "status" not in values:
        return values
    # A late "delivered" must not undo an "opened": keep the furthest status.
    rank = EmailMessage.STATUS_RANK
    if rank.get(values["status"], 0) < rank.get(current.status, 0):
        values["status"] = current.status
    for name in TRACKING_FIELDS.values():
        held = getattr(current, name)
        if held is not None and values.get(name) is not None:
            values[name] = min(held, values[name])
    return values


def email_message_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[EmailMessage]:
    """Create or update emails by provider message id; status never moves backwards."""
    return rows_upsert(
        EmailMessage, key_field="provider_message_id", rows=rows, prepare=_message_prepare
    )


def email_tracking_apply(
    *, provider_message_id: str, event: str, at: datetime
) -> EmailMessage | None:
    """Apply a tracking event (sent, delivered, opened...) to a known message."""
    if event not in TRACKING_FIELDS:
        raise InvalidInput(f"unknown email event {event!r}")
    if not EmailMessage.objects.filter(provider_message_id=provider_message_id).exists():
        return None
    result = email_message_upsert_many(
        rows=[
            {
                "provider_message_id": provider_message_id,
                "status": event,
                TRACKING_FIELDS[event]: at,
            }
        ]
    )
    return result.by_key[provider_message_id]


@transaction.atomic
def email_tracking_apply_many(*, events: Sequence[tuple[str, str, datetime]]) -> set[str]:
    """Apply tracking events (message id, event, time) to known messages; return unknown ids."""
    for _, event, _ in events:
        if event not in TRACKING_FIELDS:
            raise InvalidInput(f"unknown email event {event!r}")
    wanted = sorted({message_id for message_id, _, _ in events})
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found = EmailMessage.objects.filter(provider_message_id__in=chunk)
        known.update(m for m in found.values_list("provider_message_id", flat=True) if m)
    rank = EmailMessage.STATUS_RANK
    rows: dict[str, Row] = {}
    for message_id, event, at in events:
        if message_id not in known:
            continue
        row = rows.setdefault(message_id, {"provider_message_id": message_id})
        if "status" not in row or rank[event] > rank[row["status"]]:
            row["status"] = event
        name = TRACKING_FIELDS[event]
        row[name] = min(row[name], at) if name in row else at
    if rows:
        email_message_upsert_many(rows=list(rows.values()))
    return set(wanted) - known


def email_send(
    *,
    person: Person,
    subject: str,
    body_text: str,
    audit: AuditContext,
    template: EmailTemplate | None = None,
    sequence: EmailSequence | None = None,
) -> EmailMessage:
    """Queue an email to a person; the outbox sends it after commit (messaging/sending.py).

    Returns the message as it stands then: "queued" while a worker has yet to send it, or
    already "sent" (or "failed") where the outbox runs inline.
    """
    record = _email_queue(
        person=person,
        subject=subject,
        body_text=body_text,
        audit=audit,
        template=template,
        sequence=sequence,
    )
    record.refresh_from_db()
    return record


@transaction.atomic
def _email_queue(
    *,
    person: Person,
    subject: str,
    body_text: str,
    audit: AuditContext,
    template: EmailTemplate | None,
    sequence: EmailSequence | None,
) -> EmailMessage:
    if not person.email:
        raise Conflict("This person has no email address.")
    if person.status != Person.Status.ACTIVE:
        raise Conflict(f"This person is {person.status}; no email is sent.")
    subject = subject.strip()
    if not subject or not body_text.strip():
        raise InvalidInput("An email needs a subject and a body.")
    # One id names the outbox entry and the Message-ID header, fixed before any attempt.
    key = uuid4().hex
    message_id = f"<{key}.email@opsroom.local>"
    record = EmailMessage.objects.create(
        provider_message_id=message_id,
        person=person,
        to_email=person.email,
        template=template,
        sequence=sequence,
        subject=subject[:300],
        body_text=body_text,
        sent_by=audit.actor,
    )
    entry = outbox_enqueue(
        kind=EMAIL_SEND.kind,
        payload={
            "email_id": record.pk,
            "message_id": message_id,
            "to": record.to_email,
            "subject": record.subject,
        },
        idempotency_key=f"{EMAIL_SEND.kind}:{key}",
        audit=audit,
        target=person,
    )
    audit_record(
        audit,
        action="person.email_send",
        target=person,
        params={
            "email_id": record.pk,
            "subject": record.subject,
            "template": template.key if template else "",
            "status": record.status,
            "outbox_entry": entry.pk,
        },
    )
    return record
