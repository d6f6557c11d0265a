"""Signed webhooks to the host app, sent through the outbox ("webhook.host_app").

Each delivery is a JSON POST to OPSROOM_HOST_WEBHOOK_URL:
    {"id": "evt_…", "type": "password_reset.requested", "created": 1764331200, "data": {…}}
with the headers
    Opsroom-Event-Id: evt_…              (the same on every retry: the host app drops repeats)
    Opsroom-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
The signature uses OPSROOM_HOST_WEBHOOK_SECRET; `host_webhook_signature_check` is what the host
app runs (docs/integrating.md shows it). A 2xx answer delivers it; 408, 409, 425, 429 and 5xx
answers and network failures are retried with the outbox's backoff; other 4xx answers are a
refusal that retrying cannot fix.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import models

from opsroom.core.errors import Conflict
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext

HOST_WEBHOOK_KIND = "webhook.host_app"
SIGNATURE_HEADER = "Opsroom-Signature"
EVENT_ID_HEADER = "Opsroom-Event-Id"
SIGNATURE_TOLERANCE_SECONDS = 300
_RETRIED_STATUSES = {408, 409, 425, 429}


def host_webhook_configured() -> bool:
    """Whether webhooks to the host app are set up (a URL and a signing secret)."""
    return bool(settings.OPSROOM_HOST_WEBHOOK_URL and settings.OPSROOM_HOST_WEBHOOK_SECRET)


def host_webhook_sign(body: bytes, *, secret: str, at: int) -> str:
    """The signature header value for a body sent at a Unix time."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def host_webhook_signature_check(
    body: bytes,
    header: str,
    *,
    secret: str,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """Whether a signature header is valid for a body and recent (what the host app checks)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - at) > tolerance:
        return False
    expected = host_webhook_sign(body, secret=secret, at=at).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def host_webhook_enqueue(
    *,
    event_type: str,
    data: dict[str, Any],
    idempotency_key: str,
    audit: AuditContext,
    target: models.Model | None = None,
) -> OutboxEntry:
    """Queue a signed webhook to the host app (sent after commit, retried until delivered)."""
    if not host_webhook_configured():
        raise Conflict(
            "Webhooks to your app are not set up: set OPSROOM_HOST_WEBHOOK_URL and "
            "OPSROOM_HOST_WEBHOOK_SECRET (docs/integrating.md)."
        )
    return outbox_enqueue(
        kind=HOST_WEBHOOK_KIND,
        payload={"type": event_type, "data": data},
        idempotency_key=f"{HOST_WEBHOOK_KIND}:{idempotency_key}",
        audit=audit,
        target=target,
    )


def _event_id(entry: OutboxEntry) -> str:
    return "evt_" + hashlib.sha256(entry.idempotency_key.encode()).hexdigest()[:24]


def host_webhook_perform(entry: OutboxEntry) -> Outcome:
    """POST the event, signed; a 2xx answer delivers it."""
    if not host_webhook_configured():
        raise OutboxPermanentError("Webhooks to the host app are not set up any more.")
    event_id = _event_id(entry)
    body = json.dumps(
        {
            "id": event_id,
            "type": entry.payload["type"],
            "created": int(entry.created_at.timestamp()),
            "data": entry.payload["data"],
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    signature = host_webhook_sign(
        body, secret=settings.OPSROOM_HOST_WEBHOOK_SECRET, at=int(time.time())
    )
    request = urllib.request.Request(  # noqa: S310 - the operator's configured https URL
        settings.OPSROOM_HOST_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Opsroom-Webhook",
            EVENT_ID_HEADER: event_id,
            SIGNATURE_HEADER: signature,
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.OPSROOM_HOST_WEBHOOK_TIMEOUT
        ) as response:
            answer = response.read(500).decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        answer = exc.read(500).decode("utf-8", "replace")
        if exc.code in _RETRIED_STATUSES or exc.code >= 500:
            raise RuntimeError(f"The host app answered {exc.code}: {answer[:200]}") from exc
        raise OutboxPermanentError(f"The host app refused it ({exc.code}): {answer[:200]}") from exc
    return {"event_id": event_id, "status": status, "answer": answer[:200]}


HOST_WEBHOOK = Performer(
    kind=HOST_WEBHOOK_KIND,
    label="Send a signed webhook to the host app",
    perform=host_webhook_perform,
)
