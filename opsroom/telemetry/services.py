"""Writes of errors, API request logs and integration deliveries. Payloads are stored redacted."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from opsroom.core.redaction import body_redact, payload_redact
from opsroom.core.upsert import Row
from opsroom.people.models import Person
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery

BODY_LIMIT = 4000
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


@transaction.atomic
def error_event_record_many(*, rows: Sequence[Row]) -> int:
    """Store error occurrences once each by event id; return how many were new."""
    return _insert_new(ErrorEvent, "event_id", rows)


@transaction.atomic
def api_request_record_many(*, rows: Sequence[Row]) -> int:
    """Store API request logs once each by request id, payloads redacted and truncated."""
    prepared = []
    for row in rows:
        values = dict(row)
        for name in ("request_body", "response_body"):
            if name in values:
                values[name] = body_redact(values[name], limit=BODY_LIMIT)
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
) -> IntegrationDelivery:
    """Record one delivery (webhook call, import run) and its outcome; the payload is redacted."""
    return IntegrationDelivery.objects.create(
        source=source,
        outcome=outcome,
        event_type=_without_nul(event_type)[:100],
        external_id=_without_nul(external_id)[:128],
        payload=_delivery_payload(payload),
        error=_without_nul(error),
        person_id=person.pk if person is not None else person_id,
        processing_ms=processing_ms,
    )


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
            error=_without_nul(row.get("error", "")),
            person_id=row.get("person_id"),
            processing_ms=row.get("processing_ms"),
            received_at=row["received_at"],
        )
        for row in rows
    ]
    IntegrationDelivery.objects.bulk_create(deliveries, batch_size=500)
    return len(deliveries)
