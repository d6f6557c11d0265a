"""Every webhook call is recorded as an IntegrationDelivery, whatever became of it."""

import time
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from opsroom.telemetry.services import delivery_record

RAW_BODY_KEPT = 4000


def raw_payload(request: HttpRequest) -> Any:
    """The body as JSON when it parses, else its first characters (stored redacted)."""
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return {"body": request.body[:RAW_BODY_KEPT].decode("utf-8", errors="replace")}


def without_nul(value: Any) -> Any:
    """A parsed JSON value with NUL characters removed (PostgreSQL cannot store them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def answer(status: int, detail: str) -> HttpResponse:
    return HttpResponse(
        orjson.dumps({"detail": detail}), status=status, content_type="application/json"
    )


class Timer:
    """Milliseconds since creation, for `processing_ms`."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


def rejected(
    request: HttpRequest, *, source: str, reason: str, status: int, timer: Timer
) -> HttpResponse:
    """Record a refused delivery (bad or missing signature, unreadable body) and answer it."""
    delivery_record(
        source=source,
        outcome="rejected",
        payload=raw_payload(request),
        error=reason,
        processing_ms=timer.ms,
    )
    return answer(status, reason)
