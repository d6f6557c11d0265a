"""POST /webhooks/sentry/: Sentry integration-platform webhooks (issue and error resources).

The signature is the HMAC-SHA256 of the raw body with the integration's client secret, sent
hex-encoded in `Sentry-Hook-Signature`.
"""

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsroom.core.middleware import public
from opsroom.ingest.webhooks.deliveries import Timer, answer, rejected, without_nul
from opsroom.people.selectors import person_ids_by_email, person_ids_by_external_id
from opsroom.telemetry.services import delivery_record, error_event_record_many

SOURCE = "sentry"
_LEVELS = {"debug", "info", "warning", "error", "fatal"}


def _signed(request: HttpRequest, secret: str) -> bool:
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers.get("Sentry-Hook-Signature", ""))


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = parse_datetime(str(value or ""))
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"no time zone-aware time in {value!r}")
    return parsed


def _person_id(user: dict[str, Any]) -> int | None:
    user_id = str(user.get("id") or "")[:128]
    if user_id:
        found = person_ids_by_external_id(external_ids=[user_id])
        if user_id in found:
            return found[user_id]
    email = str(user.get("email") or "").strip().lower()
    return person_ids_by_email(emails=[email]).get(email) if email else None


def _text(value: Any, limit: int) -> str:
    return str(value or "")[:limit]


def error_row(error: dict[str, Any]) -> dict[str, Any]:
    """A Sentry error (event) as an ErrorEvent row."""
    tags = {str(pair[0]): pair[1] for pair in error.get("tags") or [] if len(pair) == 2}
    issue_id = _text(error.get("issue_id"), 128)
    title = _text(error.get("title") or error.get("message"), 500) or "(no title)"
    level = error.get("level") if error.get("level") in _LEVELS else "error"
    fingerprint = issue_id or "|".join(map(str, error.get("fingerprint") or [])) or title
    return {
        "event_id": _text(error["event_id"], 128),
        "fingerprint": fingerprint[:200],
        "issue_id": issue_id,
        "title": title,
        "message": _text(error.get("message"), 100_000),
        "level": level,
        "endpoint": _text(tags.get("transaction") or error.get("culprit"), 200),
        "release": _text(error.get("release"), 100),
        "environment": _text(error.get("environment") or tags.get("environment"), 64),
        "person_id": _person_id(error.get("user") or {}),
        "occurred_at": _time(error.get("datetime") or error.get("timestamp")),
        "tags": tags,
    }


def issue_row(issue: dict[str, Any]) -> dict[str, Any]:
    """A new Sentry issue as the ErrorEvent of its first occurrence."""
    issue_id = _text(issue["id"], 120)
    return {
        "event_id": f"issue-{issue_id}",
        "fingerprint": issue_id,
        "issue_id": issue_id,
        "title": _text(issue.get("title"), 500) or "(no title)",
        "message": _text((issue.get("metadata") or {}).get("value"), 100_000),
        "level": issue.get("level") if issue.get("level") in _LEVELS else "error",
        "endpoint": _text(issue.get("culprit"), 200),
        "occurred_at": _time(issue.get("firstSeen")),
        "tags": {"short_id": issue.get("shortId") or ""},
    }


@public
@csrf_exempt
@require_POST
def sentry_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature, then store error and new-issue events as ErrorEvents."""
    timer = Timer()
    secret = settings.SENTRY_CLIENT_SECRET
    if not secret or not _signed(request, secret):
        reason = "Bad signature." if secret else "SENTRY_CLIENT_SECRET is not set."
        return rejected(request, source=SOURCE, reason=reason, status=401, timer=timer)
    resource = request.headers.get("Sentry-Hook-Resource", "")
    try:
        payload = without_nul(orjson.loads(request.body))
        action = payload.get("action", "")
        data = payload.get("data") or {}
        if resource in ("error", "event_alert") and ("error" in data or "event" in data):
            row = error_row(data.get("error") or data["event"])
        elif resource == "issue" and action == "created":
            row = issue_row(data["issue"])
        else:
            row = None
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        return rejected(
            request, source=SOURCE, reason=f"Not a Sentry event: {exc!r}", status=400, timer=timer
        )
    event_type = f"{resource}.{action}" if action else resource
    if row is None:
        delivery_record(
            source=SOURCE,
            outcome="ignored",
            event_type=event_type,
            external_id=request.headers.get("Request-ID", "")[:128],
            payload=payload,
            error=f"resource {resource!r} with action {action!r} is not used",
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
