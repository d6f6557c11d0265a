"""POST /webhooks/sentry/: Sentry integration-platform webhooks (issue and error resources).

The signature is the HMAC-SHA256 of the raw body with the integration's client secret, sent
hex-encoded in `Sentry-Hook-Signature`. The header is checked before the body is read, the
signature before anything is parsed; every signed call is recorded, whatever became of it.
"""

import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.jsonshape import json_parse
from opsroom.core.middleware import public
from opsroom.ingest.schemas.fields import EARLIEST, FUTURE_ALLOWANCE, LATEST
from opsroom.ingest.webhooks.body import BodyTooLarge, body_read
from opsroom.ingest.webhooks.deliveries import Timer, answer, refused, without_nul
from opsroom.people.selectors import person_ids_by_email, person_ids_by_external_id
from opsroom.telemetry.services import delivery_record, error_event_record_many

SOURCE = "sentry"
_LEVELS = {"debug", "info", "warning", "error", "fatal"}
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class SentryPayloadInvalid(InvalidInput):
    """A signed Sentry payload that cannot be applied; the message names the field."""


def _signed(body: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.lower())


def _time(value: Any, field: str) -> datetime:
    moment: datetime | None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != value or not EARLIEST.timestamp() <= value <= LATEST.timestamp():
            raise SentryPayloadInvalid(f"{field}: {str(value)[:40]!r} is not a time in 1970-9000.")
        moment = datetime.fromtimestamp(value, tz=UTC)
    else:
        moment = parse_datetime(str(value or "")[:64]) if isinstance(value, str) else None
        if moment is None or moment.tzinfo is None:
            raise SentryPayloadInvalid(f"{field}: no time zone-aware time in {str(value)[:40]!r}.")
        moment = moment.astimezone(UTC)
        if not EARLIEST <= moment <= LATEST:
            raise SentryPayloadInvalid(f"{field}: {str(value)[:40]!r} is not a time in 1970-9000.")
    if moment > clock.now() + FUTURE_ALLOWANCE:
        raise SentryPayloadInvalid(f"{field}: the time is more than a day in the future.")
    return moment


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SentryPayloadInvalid(f"{field}: expected an object, got {type(value).__name__}.")
    return value


def _person_id(user: dict[str, Any]) -> int | None:
    user_id = str(user.get("id") or "")[:128]
    if user_id:
        found = person_ids_by_external_id(external_ids=[user_id])
        if user_id in found:
            return found[user_id]
    email = str(user.get("email") or "").strip().lower()
    if not email or len(email) > 254:
        return None
    return person_ids_by_email(emails=[email]).get(email)


def _text(value: Any, limit: int) -> str:
    if isinstance(value, dict | list):
        return ""
    return str(value if value is not None else "")[:limit]


def _tags(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(key)[:200]: _text(item, 500) for key, item in list(value.items())[:200]}
    pairs = value if isinstance(value, list) else []
    return {
        str(pair[0])[:200]: _text(pair[1], 500)
        for pair in pairs[:200]
        if isinstance(pair, list | tuple) and len(pair) == 2
    }


def error_row(error: dict[str, Any]) -> dict[str, Any]:
    """A Sentry error (event) as an ErrorEvent row."""
    tags = _tags(error.get("tags"))
    issue_id = _text(error.get("issue_id"), 128)
    title = _text(error.get("title") or error.get("message"), 500) or "(no title)"
    level = error.get("level") if error.get("level") in _LEVELS else "error"
    fingerprint_parts = error.get("fingerprint")
    fingerprint = (
        issue_id
        or "|".join(map(str, fingerprint_parts[:20]) if isinstance(fingerprint_parts, list) else [])
        or title
    )
    event_id = _text(error.get("event_id"), 128)
    if not event_id:
        raise SentryPayloadInvalid("data.error.event_id: missing.")
    return {
        "event_id": event_id,
        "fingerprint": fingerprint[:200],
        "issue_id": issue_id,
        "title": title,
        "message": _text(error.get("message"), 100_000),
        "level": level,
        "endpoint": _text(tags.get("transaction") or error.get("culprit"), 200),
        "release": _text(error.get("release"), 100),
        "environment": _text(error.get("environment") or tags.get("environment"), 64),
        "person_id": _person_id(_object(error.get("user"), "data.error.user")),
        "occurred_at": _time(
            error.get("datetime") or error.get("timestamp"), "data.error.datetime"
        ),
        "tags": tags,
    }


def issue_row(issue: dict[str, Any]) -> dict[str, Any]:
    """A new Sentry issue as the ErrorEvent of its first occurrence."""
    issue_id = _text(issue.get("id"), 120)
    if not issue_id:
        raise SentryPayloadInvalid("data.issue.id: missing.")
    return {
        "event_id": f"issue-{issue_id}",
        "fingerprint": issue_id,
        "issue_id": issue_id,
        "title": _text(issue.get("title"), 500) or "(no title)",
        "message": _text(
            _object(issue.get("metadata"), "data.issue.metadata").get("value"), 100_000
        ),
        "level": issue.get("level") if issue.get("level") in _LEVELS else "error",
        "endpoint": _text(issue.get("culprit"), 200),
        "occurred_at": _time(issue.get("firstSeen"), "data.issue.firstSeen"),
        "tags": {"short_id": _text(issue.get("shortId"), 100)},
    }


def _row(payload: Any, resource: str) -> tuple[str, dict[str, Any] | None]:
    if not isinstance(payload, dict):
        raise SentryPayloadInvalid("The payload is not a JSON object.")
    action = _text(payload.get("action"), 50)
    data = _object(payload.get("data"), "data")
    event_type = f"{resource}.{action}" if action else resource
    if resource in ("error", "event_alert") and ("error" in data or "event" in data):
        error = data.get("error") if "error" in data else data.get("event")
        return event_type, error_row(_object(error, "data.error"))
    if resource == "issue" and action == "created":
        return event_type, issue_row(_object(data.get("issue"), "data.issue"))
    return event_type, None


@public
@csrf_exempt
@require_POST
def sentry_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature, then store error and new-issue events as ErrorEvents."""
    timer = Timer()
    secret = settings.SENTRY_CLIENT_SECRET
    signature = request.headers.get("Sentry-Hook-Signature", "")
    if not secret or not _HEX_SHA256.match(signature):
        reason = "Bad signature." if secret else "SENTRY_CLIENT_SECRET is not set."
        return refused(request, source=SOURCE, reason=reason, status=401, timer=timer)
    try:
        body = body_read(request, limit=settings.OPSROOM_SENTRY_WEBHOOK_MAX_BYTES)
    except BodyTooLarge as exc:
        return refused(request, source=SOURCE, reason=str(exc), status=413, timer=timer)
    if not _signed(body, signature, secret):
        return refused(request, source=SOURCE, reason="Bad signature.", status=401, timer=timer)

    # Signed by Sentry from here on: whatever happens is recorded.
    resource = request.headers.get("Sentry-Hook-Resource", "")[:50]
    request_id = request.headers.get("Request-ID", "")[:128]
    payload: Any = {"bytes": len(body)}
    try:
        payload = without_nul(json_parse(body, what="The payload"))
        event_type, row = _row(payload, resource)
    except InvalidInput as exc:
        delivery_record(
            source=SOURCE,
            outcome="failed",
            event_type=resource,
            external_id=request_id,
            payload=payload,
            error=f"Not a Sentry event: {exc.message}",
            processing_ms=timer.ms,
        )
        return answer(400, f"Not a Sentry event: {exc.message}")
    if row is None:
        delivery_record(
            source=SOURCE,
            outcome="ignored",
            event_type=event_type,
            external_id=request_id,
            payload=payload,
            error=f"resource {resource!r} with this action is not used",
            processing_ms=timer.ms,
        )
        return answer(200, "Acknowledged; this resource is not used.")
    with transaction.atomic():
        created = error_event_record_many(rows=[row])
        delivery_record(
            source=SOURCE,
            outcome="processed" if created else "duplicate",
            event_type=event_type,
            external_id=row["event_id"],
            payload=payload,
            person_id=row.get("person_id"),
            processing_ms=timer.ms,
        )
    return answer(200, "Processed." if created else "Already processed.")
