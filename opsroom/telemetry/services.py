"""Writes of errors, API request logs and integration deliveries. Payloads are stored redacted."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from opsroom.core import clock
from opsroom.core.models import ApiKey
from opsroom.core.redaction import body_redact, payload_redact, text_redact
from opsroom.core.upsert import Row
from opsroom.people.models import Person
from opsroom.telemetry.models import AiUsage, ApiRequest, ErrorEvent, IntegrationDelivery
from opsroom.telemetry.spans import spans_prepare

BODY_LIMIT = 4000
ERROR_LIMIT = 2000
DELIVERY_PAYLOAD_LIMIT = 20000


def _insert_new(model: type[Any], key_field: str, rows: Sequence[Row]) -> int:
    """Insert rows whose natural key is not stored yet; return how many were new."""
    latest = {row[key_field]: row for row in rows}
    keys = list(latest)
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        known.update(
            model.objects.filter(**{f"{key_field}__in": chunk}).values_list(key_field, flat=True)
        )
    fresh = [model(**row) for key, row in latest.items() if key not in known]
    model.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    return len(fresh)


_ERROR_TEXT = ("title", "message", "endpoint", "release", "environment", "fingerprint")


@transaction.atomic
def error_event_record_many(*, rows: Sequence[Row]) -> int:
    """Store error occurrences once each by event id, text and tags redacted; return how many
    were new."""
    prepared = []
    for row in rows:
        values = dict(row)
        for name in _ERROR_TEXT:
            if isinstance(values.get(name), str):
                values[name] = text_redact(values[name])
        if "tags" in values and values["tags"] is not None:
            values["tags"] = payload_redact(values["tags"])
        prepared.append(values)
    return _insert_new(ErrorEvent, "event_id", prepared)


@transaction.atomic
def api_request_record_many(*, rows: Sequence[Row]) -> int:
    """Store API request logs once each by request id, payloads redacted and truncated, query
    spans fingerprinted (telemetry/spans.py)."""
    prepared = []
    for row in rows:
        values = dict(row)
        for name in ("request_body", "response_body"):
            if name in values:
                values[name] = body_redact(values[name], limit=BODY_LIMIT)
        for name in ("path", "route"):
            if isinstance(values.get(name), str):
                values[name] = text_redact(values[name])
        if values.get("spans"):
            summary = spans_prepare(values["spans"])
            values["spans"] = summary.spans
            values["repeated_queries"] = summary.repeated_queries
            values["repeated_fingerprint"] = summary.repeated_fingerprint
            if values.get("query_count") is None:
                values["query_count"] = len(summary.spans)
        else:
            values.pop("spans", None)
        prepared.append(values)
    return _insert_new(ApiRequest, "request_id", prepared)


def _without_nul(value: Any) -> Any:
    # PostgreSQL stores no NUL character, in text or in JSON; a delivery is recorded anyway.
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(str(key)): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _delivery_payload(payload: Any) -> dict[str, Any]:
    stored = _without_nul(payload_redact(payload)) if payload is not None else {}
    if len(str(stored)) > DELIVERY_PAYLOAD_LIMIT:
        stored = {"truncated": body_redact(payload, limit=DELIVERY_PAYLOAD_LIMIT)}
    if not isinstance(stored, dict):
        stored = {"value": stored}
    return stored


def delivery_record(
    *,
    source: str,
    outcome: str,
    event_type: str = "",
    external_id: str = "",
    payload: Any = None,
    error: str = "",
    person: Person | None = None,
    processing_ms: float | None = None,
    person_id: int | None = None,
    api_key: ApiKey | None = None,
) -> IntegrationDelivery:
    """Record one delivery (webhook call, import run) and its outcome; the payload is redacted."""
    return IntegrationDelivery.objects.create(
        source=source,
        outcome=outcome,
        event_type=_without_nul(event_type)[:100],
        external_id=_without_nul(external_id)[:128],
        payload=_delivery_payload(payload),
        error=_without_nul(text_redact(error[:ERROR_LIMIT])),
        person_id=person.pk if person is not None else person_id,
        processing_ms=processing_ms,
        api_key=api_key,
    )


def delivery_refusal_record(
    *,
    source: str,
    reason: str,
    size: int | None,
    content_type: str,
    ip: str | None,
    processing_ms: float | None = None,
) -> bool:
    """Keep a small record of a refused, unauthenticated delivery; False when not kept.

    Anyone can send these, so they are neither parsed nor stored: only their size, type and
    address. At most OPSROOM_REFUSED_DELIVERIES_PER_MINUTE are kept per source each minute,
    and only the newest OPSROOM_REFUSED_DELIVERIES_KEPT per source.
    """
    rejected = IntegrationDelivery.objects.filter(
        source=source, outcome=IntegrationDelivery.Outcome.REJECTED
    )
    per_minute = settings.OPSROOM_REFUSED_DELIVERIES_PER_MINUTE
    recent = rejected.filter(received_at__gte=clock.now() - timedelta(minutes=1))
    if len(recent.values_list("id", flat=True)[:per_minute]) >= per_minute:
        return False
    IntegrationDelivery.objects.create(
        source=source,
        outcome=IntegrationDelivery.Outcome.REJECTED,
        payload={"bytes": size, "content_type": _without_nul(content_type[:100]), "ip": ip},
        error=_without_nul(text_redact(reason[:ERROR_LIMIT])),
        processing_ms=processing_ms,
    )
    kept = settings.OPSROOM_REFUSED_DELIVERIES_KEPT
    older = list(
        rejected.order_by("-received_at", "-id").values_list("id", flat=True)[kept : kept + 100]
    )
    if older:
        IntegrationDelivery.objects.filter(id__in=older).delete()
    return True


@transaction.atomic
def delivery_record_many(*, rows: Sequence[Row]) -> int:
    """Record deliveries that happened earlier (replayed history, the demo world): each row has
    delivery_record's fields and its `received_at`; payloads are redacted the same way."""
    deliveries = [
        IntegrationDelivery(
            source=row["source"],
            outcome=row["outcome"],
            event_type=_without_nul(row.get("event_type", ""))[:100],
            external_id=_without_nul(row.get("external_id", ""))[:128],
            payload=_delivery_payload(row.get("payload")),
            error=_without_nul(text_redact(str(row.get("error", ""))[:ERROR_LIMIT])),
            person_id=row.get("person_id"),
            processing_ms=row.get("processing_ms"),
            received_at=row["received_at"],
        )
        for row in rows
    ]
    IntegrationDelivery.objects.bulk_create(deliveries, batch_size=500)
    return len(deliveries)


@transaction.atomic
def ai_usage_record_many(*, rows: Sequence[Row]) -> int:
    """Store AI usage records once each by usage id; return how many were new."""
    prepared = []
    for row in rows:
        values = dict(row)
        for name in ("endpoint", "feature", "model"):
            if isinstance(values.get(name), str):
                values[name] = text_redact(values[name])
        prepared.append(values)
    return _insert_new(AiUsage, "usage_id", prepared)
