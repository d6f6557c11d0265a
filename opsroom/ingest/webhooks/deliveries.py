"""Every webhook call leaves a trace in IntegrationDelivery, sized to who could have sent it.

A signed call (the provider's) is recorded in full, redacted, whatever became of it. A refused
call (no valid signature, too large) could come from anyone: it is neither parsed nor kept,
only its size and address, and only a few a minute (`delivery_refusal_record`).
"""

import time
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from opsroom.core.services.audit import client_ip
from opsroom.ingest.webhooks.body import declared_size
from opsroom.telemetry.services import delivery_refusal_record


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


def refused(
    request: HttpRequest, *, source: str, reason: str, status: int, timer: Timer
) -> HttpResponse:
    """Answer a call that is not (or cannot be shown to be) the provider's, and note it."""
    delivery_refusal_record(
        source=source,
        reason=reason,
        size=declared_size(request),
        content_type=request.META.get("CONTENT_TYPE", ""),
        ip=client_ip(request),
        processing_ms=timer.ms,
    )
    return answer(status, reason)
