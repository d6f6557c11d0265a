"""Errors, API request logs and AI usage, stored through `telemetry.services` (insert-only by
id)."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from opsroom.ingest.batch import StoreReport
from opsroom.ingest.kinds.rows import distinct, item_row
from opsroom.people.services import person_ids_ensure
from opsroom.telemetry.services import (
    ai_usage_record_many,
    api_request_record_many,
    error_event_record_many,
)


@transaction.atomic
def errors_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    people = person_ids_ensure(external_ids=distinct(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(item, exclude={"user_id"})
        row.setdefault("fingerprint", "")
        if not row["fingerprint"]:
            row["fingerprint"] = (item.issue_id or item.title)[:200]
        row["person_id"] = people.get(item.user_id) if item.user_id else None
        rows.append(row)
    return StoreReport(created=error_event_record_many(rows=rows))


@transaction.atomic
def api_requests_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    people = person_ids_ensure(external_ids=distinct(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(item, exclude={"user_id"})
        row["person_id"] = people.get(item.user_id) if item.user_id else None
        rows.append(row)
    return StoreReport(created=api_request_record_many(rows=rows))


@transaction.atomic
def ai_usage_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    people = person_ids_ensure(external_ids=distinct(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(item, exclude={"user_id", "cost"})
        row["cost_micros"] = round(item.cost * 1_000_000)
        row["person_id"] = people.get(item.user_id) if item.user_id else None
        rows.append(row)
    return StoreReport(created=ai_usage_record_many(rows=rows))
