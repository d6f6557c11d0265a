"""django-anymail's tracking and inbound signals, applied through the owning apps' services.

Anymail delivers webhook events through its signals (that is its API); these receivers are
the only listeners, and each event becomes one IntegrationDelivery.
"""

from typing import Any

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.db import transaction

from opsroom.core import clock
from opsroom.ingest.webhooks.deliveries import Timer, without_nul
from opsroom.ingest.webhooks.email.inbound import inbound_email_apply
from opsroom.messaging.services import TRACKING_FIELDS, email_tracking_apply_many
from opsroom.telemetry.services import delivery_record

SOURCE = "email"


def _esp_payload(event: Any) -> Any:
    raw = event.esp_event
    if hasattr(raw, "lists"):  # a QueryDict (form-encoded webhooks)
        return {key: values if len(values) > 1 else values[0] for key, values in raw.lists()}
    if isinstance(raw, dict | list):
        return raw
    return {"event": str(raw)[:2000]}


def tracking_received(sender: Any, event: AnymailTrackingEvent, esp_name: str, **_: Any) -> None:
    """Move the email forward (delivered, opened...); other event types are only logged."""
    timer = Timer()
    outcome, error = "processed", ""
    with transaction.atomic():
        if event.event_type not in TRACKING_FIELDS:
            outcome, error = "ignored", f"{esp_name} event {event.event_type!r} is not tracked"
        elif not event.message_id:
            outcome, error = "ignored", "the event names no message"
        else:
            at = event.timestamp or clock.now()
            message_id = without_nul(str(event.message_id))[:255]
            unknown = email_tracking_apply_many(events=[(message_id, event.event_type, at)])
            if unknown:
                outcome, error = "ignored", "no email with this message id was sent by Opsroom"
        delivery_record(
            source=SOURCE,
            outcome=outcome,
            event_type=f"tracking.{event.event_type}",
            external_id=str(event.event_id or event.message_id or "")[:128],
            payload=_esp_payload(event),
            error=error,
            processing_ms=timer.ms,
        )


def inbound_received(sender: Any, event: AnymailInboundEvent, esp_name: str, **_: Any) -> None:
    """A new support ticket, or a customer reply on the ticket it answers."""
    timer = Timer()
    with transaction.atomic():
        applied = inbound_email_apply(event.message, fallback_id=str(event.event_id or ""))
        delivery_record(
            source=SOURCE,
            outcome=applied.outcome,
            event_type="inbound",
            external_id=applied.message_id[:128],
            payload={
                "from": applied.sender,
                "subject": applied.subject,
                "ticket": applied.ticket_id,
                "esp": esp_name,
            },
            error=applied.note,
            person_id=applied.person_id,
            processing_ms=timer.ms,
        )


def connect() -> None:
    tracking.connect(tracking_received, dispatch_uid="opsroom.ingest.email.tracking")
    inbound.connect(inbound_received, dispatch_uid="opsroom.ingest.email.inbound")
