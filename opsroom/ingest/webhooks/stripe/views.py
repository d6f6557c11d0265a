"""POST /webhooks/stripe/: Stripe events, verified with the official library, applied once."""

import orjson
import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsroom.core.middleware import public
from opsroom.ingest.webhooks.deliveries import Timer, answer, rejected, without_nul
from opsroom.ingest.webhooks.stripe.handlers import HANDLERS
from opsroom.ingest.webhooks.stripe.objects import stamp
from opsroom.telemetry.selectors import delivery_seen
from opsroom.telemetry.services import delivery_record

SOURCE = "stripe"


@public
@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the Stripe-Signature (and its timestamp), then apply the event once."""
    timer = Timer()
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return rejected(
            request,
            source=SOURCE,
            reason="STRIPE_WEBHOOK_SECRET is not set.",
            status=401,
            timer=timer,
        )
    try:
        stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature"),
            secret,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
        event = without_nul(orjson.loads(request.body))
        event_id, event_type, at = event["id"], event["type"], stamp(event["created"])
        obj = event["data"]["object"]
    except stripe.SignatureVerificationError as exc:
        return rejected(
            request, source=SOURCE, reason=f"Bad signature: {exc}", status=401, timer=timer
        )
    except (ValueError, KeyError, TypeError) as exc:
        return rejected(
            request, source=SOURCE, reason=f"Not a Stripe event: {exc!r}", status=400, timer=timer
        )
    if at is None:
        return rejected(
            request,
            source=SOURCE,
            reason="The event has no 'created' time.",
            status=400,
            timer=timer,
        )

    def record(outcome: str, error: str = "", person_id: int | None = None) -> None:
        delivery_record(
            source=SOURCE,
            outcome=outcome,
            event_type=event_type,
            external_id=event_id,
            payload=event,
            error=error,
            person_id=person_id,
            processing_ms=timer.ms,
        )

    if delivery_seen(source=SOURCE, external_id=event_id):
        record("duplicate")
        return answer(200, "Already processed.")
    handler = HANDLERS.get(event_type)
    if handler is None:
        record("ignored", error=f"event type {event_type} is not handled")
        return answer(200, "Acknowledged; this event type is not used.")
    try:
        with transaction.atomic():
            handled = handler(event, obj, at)
            record(handled.outcome, error=handled.note, person_id=handled.person_id)
    except (ValueError, KeyError, TypeError) as exc:
        record("failed", error=f"Could not apply the event: {exc!r}")
        return answer(400, f"Could not apply the event: {exc!r}")
    return answer(200, handled.outcome.capitalize() + ".")
