"""POST /webhooks/email/tracking/ and /webhooks/email/inbound/: the configured ESP's webhooks.

Which ESP is read at request time (OPSROOM_EMAIL_ESP, e.g. postmark, mailgun, sendgrid); the
request goes to django-anymail's view for it, which checks the basic auth credentials
(ANYMAIL_WEBHOOK_SECRET) and, for ESPs that sign webhooks, the signature.

The basic auth credentials are checked here first, from the header alone, and the body is
read only up to the endpoint's limit: an anonymous or oversized call costs almost nothing.
"""

import base64
import binascii
import hmac
from collections.abc import Callable
from functools import cache
from typing import Any

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opsroom.core.errors import InvalidInput
from opsroom.core.jsonshape import json_parse
from opsroom.core.middleware import public
from opsroom.ingest.webhooks.body import BodyTooLarge, body_read
from opsroom.ingest.webhooks.deliveries import Timer, refused

SOURCE = "email"


@cache
def _anymail_views() -> dict[str, Callable[..., Any]]:
    from anymail.urls import urlpatterns

    return {pattern.name: pattern.callback for pattern in urlpatterns if pattern.name}


def esp_webhook_view(kind: str) -> Callable[..., Any] | None:
    """Anymail's view for the configured ESP's `tracking` or `inbound` webhook."""
    esp = settings.OPSROOM_EMAIL_ESP
    return _anymail_views().get(f"{esp}_{kind}_webhook") if esp else None


_LIMITS = {
    "tracking": "OPSROOM_EMAIL_TRACKING_MAX_BYTES",
    "inbound": "OPSROOM_EMAIL_INBOUND_MAX_BYTES",
}


def _basic_auth_ok(request: HttpRequest, secret: str | list[str]) -> bool:
    """Whether the Authorization header holds one of the configured "user:password" pairs."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 1000:
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    secrets = [secret] if isinstance(secret, str) else list(secret)
    # Compared with every configured pair, in constant time.
    matches = [hmac.compare_digest(given, str(item).encode()) for item in secrets]
    return any(matches)


def _dispatch(request: HttpRequest, kind: str) -> HttpResponse:
    timer = Timer()
    view = esp_webhook_view(kind)
    if view is None:
        reason = f"No ESP {kind} webhook: set OPSROOM_EMAIL_ESP (e.g. postmark, mailgun)."
        return refused(request, source=SOURCE, reason=reason, status=401, timer=timer)
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET")
    if not secret:
        reason = "ANYMAIL_WEBHOOK_SECRET is not set: email webhooks are refused."
        return refused(request, source=SOURCE, reason=reason, status=401, timer=timer)
    if request.method == "POST":
        if not _basic_auth_ok(request, secret):
            reason = "Missing or wrong basic auth credentials (ANYMAIL_WEBHOOK_SECRET)."
            return refused(request, source=SOURCE, reason=reason, status=401, timer=timer)
        try:
            body = body_read(request, limit=getattr(settings, _LIMITS[kind]))
            if "json" in request.META.get("CONTENT_TYPE", ""):
                # anymail parses with Python's json, which recurses: check the shape first.
                json_parse(body, what="The body")
        except BodyTooLarge as exc:
            return refused(request, source=SOURCE, reason=str(exc), status=413, timer=timer)
        except InvalidInput as exc:
            reason = f"Not a {settings.OPSROOM_EMAIL_ESP} {kind} webhook: {exc.message}"
            return refused(request, source=SOURCE, reason=reason, status=400, timer=timer)
    try:
        response: HttpResponse = view(request)
    except AnymailWebhookValidationFailure as exc:
        return refused(request, source=SOURCE, reason=str(exc), status=401, timer=timer)
    except (
        AnymailError,
        ImproperlyConfigured,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
    ) as exc:
        reason = f"Not a {settings.OPSROOM_EMAIL_ESP} {kind} webhook: {exc!r}"
        return refused(request, source=SOURCE, reason=reason, status=400, timer=timer)
    return response


@public
@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def email_tracking_webhook(request: HttpRequest) -> HttpResponse:
    """Delivery and engagement events from the ESP."""
    return _dispatch(request, "tracking")


@public
@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def email_inbound_webhook(request: HttpRequest) -> HttpResponse:
    """Emails received by the ESP for the support address."""
    return _dispatch(request, "inbound")
