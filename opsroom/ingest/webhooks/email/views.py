"""POST /webhooks/email/tracking/ and /webhooks/email/inbound/: the configured ESP's webhooks.

Which ESP is read at request time (OPSROOM_EMAIL_ESP, e.g. postmark, mailgun, sendgrid); the
request goes to django-anymail's view for it, which checks the basic auth credentials
(ANYMAIL_WEBHOOK_SECRET) and, for ESPs that sign webhooks, the signature.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opsroom.core.middleware import public
from opsroom.ingest.webhooks.deliveries import Timer, rejected

SOURCE = "email"


@cache
def _anymail_views() -> dict[str, Callable[..., Any]]:
    from anymail.urls import urlpatterns

    return {pattern.name: pattern.callback for pattern in urlpatterns if pattern.name}


def esp_webhook_view(kind: str) -> Callable[..., Any] | None:
    """Anymail's view for the configured ESP's `tracking` or `inbound` webhook."""
    esp = settings.OPSROOM_EMAIL_ESP
    return _anymail_views().get(f"{esp}_{kind}_webhook") if esp else None


def _dispatch(request: HttpRequest, kind: str) -> HttpResponse:
    timer = Timer()
    view = esp_webhook_view(kind)
    if view is None:
        reason = f"No ESP {kind} webhook: set OPSROOM_EMAIL_ESP (e.g. postmark, mailgun)."
        return rejected(request, source=SOURCE, reason=reason, status=401, timer=timer)
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        reason = "ANYMAIL_WEBHOOK_SECRET is not set: email webhooks are refused."
        return rejected(request, source=SOURCE, reason=reason, status=401, timer=timer)
    try:
        response: HttpResponse = view(request)
    except AnymailWebhookValidationFailure as exc:
        return rejected(request, source=SOURCE, reason=str(exc), status=401, timer=timer)
    except (AnymailError, ImproperlyConfigured, ValueError, KeyError, TypeError) as exc:
        reason = f"Not a {settings.OPSROOM_EMAIL_ESP} {kind} webhook: {exc!r}"
        return rejected(request, source=SOURCE, reason=reason, status=400, timer=timer)
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
