"""POST /webhooks/stripe/: Stripe events, verified with the official library, applied once.

The order matters: the signature header and the size are checked before the body is read,
the signature over the raw bytes before anything is parsed. From then on the call is
Stripe's, and every outcome (applied, stale, duplicate, not applicable) is recorded.
"""

import time
from datetime import datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsroom.core.errors import InvalidInput
from opsroom.core.jsonshape import json_parse
from opsroom.core.middleware import public
from opsroom.ingest.webhooks.body import BodyTooLarge, body_read
from opsroom.ingest.webhooks.deliveries import Timer, answer, refused, without_nul
from opsroom.ingest.webhooks.stripe.handlers import HANDLERS
from opsroom.ingest.webhooks.stripe.objects import PayloadInvalid, mapping, stamp, text
from opsroom.telemetry.selectors import delivery_seen
from opsroom.telemetry.services import delivery_record

SOURCE = "stripe"


def _header_problem(header: str, tolerance: int) -> str:
    """What is wrong with a Stripe-Signature header, judged without the body ('' if nothing)."""
    if not header:
        return "Bad signature: no Stripe-Signature header."
    stamps = [part[2:] for part in header.split(",") if part.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or len(stamps[0]) > 12:
        return "Bad signature: the Stripe-Signature header has no timestamp."
    if abs(time.time() - int(stamps[0])) > tolerance:
        return "Bad signature: the signature's timestamp is outside the tolerance."
    return ""


def _event(body: bytes) -> tuple[dict[str, Any], str, str, datetime, dict[str, Any]]:
    event = without_nul(json_parse(body, what="The event"))
    if not isinstance(event, dict):
        raise PayloadInvalid("The event is not a JSON object.")
    event_id = text(event.get("id"), "id", 128)
    event_type = text(event.get("type"), "type", 100)
    if not event_id or not event_type:
        raise PayloadInvalid("The event has no id or type.")
    at = stamp(event.get("created"), "created")
    if at is None:
        raise PayloadInvalid("created: the event has no 'created' time.")
    if at.timestamp() > time.time() + settings.STRIPE_WEBHOOK_TOLERANCE:
        raise PayloadInvalid("created: the event's time is in the future.")
    obj = mapping(mapping(event.get("data"), "data").get("object"), "data.object")
    return event, event_id, event_type, at, obj


@public
@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the Stripe-Signature (and its timestamp), then apply the event once."""
    timer = Timer()
    secret = settings.STRIPE_WEBHOOK_SECRET
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE
    if not secret:
        reason = "STRIPE_WEBHOOK_SECRET is not set."
        return refused(request, source=SOURCE, reason=reason, status=401, timer=timer)
    header = request.headers.get("Stripe-Signature", "")
    problem = _header_problem(header, tolerance)
    if problem:
        return refused(request, source=SOURCE, reason=problem, status=401, timer=timer)
    try:
        body = body_read(request, limit=settings.OPSROOM_STRIPE_WEBHOOK_MAX_BYTES)
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance)
    except BodyTooLarge as exc:
        return refused(request, source=SOURCE, reason=str(exc), status=413, timer=timer)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        unreadable = isinstance(exc, UnicodeDecodeError)
        reason = "Bad signature: the body is not UTF-8." if unreadable else f"Bad signature: {exc}"
        return refused(request, source=SOURCE, reason=reason, status=401, timer=timer)

    # Signed by Stripe from here on: whatever happens is recorded.
    def record(
        outcome: str,
        error: str = "",
        person_id: int | None = None,
        payload: Any = None,
        event_type: str = "",
        event_id: str = "",
    ) -> None:
        delivery_record(
            source=SOURCE,
            outcome=outcome,
            event_type=event_type,
            external_id=event_id,
            payload=payload if payload is not None else {"bytes": len(body)},
            error=error,
            person_id=person_id,
            processing_ms=timer.ms,
        )

    try:
        event, event_id, event_type, at, obj = _event(body)
    except InvalidInput as exc:
        record("failed", error=f"Not a Stripe event: {exc.message}")
        return answer(400, f"Not a Stripe event: {exc.message}")
    named: dict[str, Any] = {"payload": event, "event_type": event_type, "event_id": event_id}
    if delivery_seen(source=SOURCE, external_id=event_id):
        record("duplicate", **named)
        return answer(200, "Already processed.")
    handler = HANDLERS.get(event_type)
    if handler is None:
        record("ignored", error=f"event type {event_type} is not handled", **named)
        return answer(200, "Acknowledged; this event type is not used.")
    try:
        with transaction.atomic():
            handled = handler(event, obj, at)
            record(handled.outcome, error=handled.note, person_id=handled.person_id, **named)
    except InvalidInput as exc:
        record("failed", error=f"Could not apply the event: {exc.message}", **named)
        return answer(400, f"Could not apply the event: {exc.message}")
    except Exception as exc:
        # A bug, not the event's fault: still recorded, then raised for the error log (500),
        # so Stripe retries it once fixed.
        record("failed", error=f"Could not apply the event (an Opsroom error): {exc!r}", **named)
        raise
    if handled.outcome == "failed":
        return answer(200, handled.note or "Not applied.")
    return answer(200, handled.outcome.capitalize() + ".")
