"""POST /api/v1/ingest/<kind>: a JSON array of up to 10,000 items, each validated on its own.

The body is read and parsed here rather than by ninja, so that one bad item refuses only
itself, and so the size limits are checked before anything is parsed.
"""

import time
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsroom.core.auth import ApiKeyAuth
from opsroom.core.models import ApiKey
from opsroom.ingest.batch import MAX_ITEMS, BatchOutcome, Kind, batch_ingest
from opsroom.ingest.kinds import KINDS
from opsroom.ingest.schemas.batch import BatchResult, Problem
from opsroom.telemetry.services import delivery_record

# Ingest is machine traffic: an API key with the ingest scope (admin keys hold every scope).
router = Router(tags=["ingest"], auth=[ApiKeyAuth("ingest")])
_REJECTIONS_KEPT = 20


def _problem(status: int, detail: str) -> HttpResponse:
    return HttpResponse(
        orjson.dumps({"detail": detail}), status=status, content_type="application/json"
    )


def _items(request: HttpRequest) -> tuple[list[Any], bytes] | HttpResponse:
    limit = settings.OPSROOM_INGEST_MAX_BYTES
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _problem(400, "The Content-Length header is not a number.")
    if size > limit:
        return _problem(
            413,
            f"The body is {size:,} bytes; a batch may be at most {limit:,} bytes. "
            "Send the items in smaller batches.",
        )
    # Read from the stream, not `request.body`: Django's upload limit stays small for every
    # other page, while a batch may be up to OPSROOM_INGEST_MAX_BYTES.
    body = request.read(limit + 1)
    if len(body) > limit:
        return _problem(413, f"A batch may be at most {limit:,} bytes.")
    if not body:
        return _problem(400, f"Send a JSON array of 1 to {MAX_ITEMS:,} items.")
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _problem(400, f"The body is not valid JSON: {exc}.")
    if not isinstance(items, list):
        return _problem(400, f"The body must be a JSON array of 1 to {MAX_ITEMS:,} items.")
    if len(items) > MAX_ITEMS:
        return _problem(
            413,
            f"The batch holds {len(items):,} items; at most {MAX_ITEMS:,} are accepted per "
            "request. Send the items in smaller batches.",
        )
    return items, body


def _record(kind: Kind, outcome: BatchOutcome, started: float, api_key: ApiKey | None) -> None:
    delivery_record(
        source="api",
        event_type=kind.name,
        outcome="processed" if outcome.accepted or not outcome.received else "failed",
        api_key=api_key,
        payload={
            **outcome.as_dict()["counts"],
            "rejections": outcome.as_dict()["rejected"][:_REJECTIONS_KEPT],
        },
        processing_ms=(time.perf_counter() - started) * 1000,
    )


def batch_view(kind: Kind) -> Callable[[HttpRequest], HttpResponse]:
    """The endpoint function for one kind."""

    def endpoint(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        read = _items(request)
        if isinstance(read, HttpResponse):
            return read
        items, body = read
        outcome = batch_ingest(kind, items, source="api", may_hold_nul=b"\\u0000" in body)
        _record(kind, outcome, started, getattr(request, "api_key", None))
        return HttpResponse(orjson.dumps(outcome.as_dict()), content_type="application/json")

    endpoint.__name__ = f"ingest_{kind.name.replace('-', '_')}"
    return endpoint


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its nested models ($defs, e.g. a person's touches) written in place,
    so it stands on its own inside the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(item) for key, item in value.items()}
        if isinstance(value, list):
            return [inline(item) for item in value]
        return value

    return inline(schema)  # type: ignore[no-any-return]


def _register(kind: Kind) -> None:
    schema = _inlined(kind.schema.model_json_schema())
    router.post(
        f"/{kind.name}",
        response={200: BatchResult, 400: Problem, 401: Problem, 413: Problem},
        operation_id=f"ingest_{kind.name.replace('-', '_')}",
        summary=kind.summary,
        description=(
            f"{kind.schema.__doc__}\n\nA JSON array of up to {MAX_ITEMS:,} "
            f"`{kind.schema.__name__}` items. Natural key: `{kind.key}`; re-sending an item "
            "changes nothing. Each item is validated on its own: the answer lists the "
            "accepted indexes and, for each rejected item, its index, field and reason."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_ITEMS,
                            "items": schema,
                        }
                    }
                },
            }
        },
    )(batch_view(kind))


for _kind in KINDS.values():
    _register(_kind)
