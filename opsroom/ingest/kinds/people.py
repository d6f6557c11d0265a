"""People and product events, stored through `people.services`."""

from collections.abc import Sequence
from typing import Any

from opsroom.ingest.batch import StoreReport
from opsroom.ingest.kinds.rows import item_row
from opsroom.people.services import EventData, event_record_many, person_upsert_many


def people_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    rows = [item_row(item, rename={"user_id": "external_id"}) for _, item in items]
    result = person_upsert_many(rows=rows)
    return StoreReport(created=len(result.created), updated=len(result.updated))


def events_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    events = [
        EventData(
            person_external_id=item.user_id,
            name=item.name,
            occurred_at=item.occurred_at,
            properties=item.properties,
            source=source,
            idempotency_key=item.idempotency_key,
        )
        for _, item in items
    ]
    result = event_record_many(events=events)
    return StoreReport(created=result.inserted)
