"""People and product events, stored through `people.services`."""

from collections.abc import Sequence
from typing import Any

from opsroom.ingest.batch import StoreReport
from opsroom.ingest.kinds.rows import item_row
from opsroom.people.services import (
    EventData,
    EventFields,
    PreparedEvents,
    event_record_many,
    event_record_prepared,
    events_prepare_fields,
    person_upsert_many,
)


def people_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    rows = [item_row(item, rename={"user_id": "external_id"}) for _, item in items]
    result = person_upsert_many(rows=rows)
    return StoreReport(created=len(result.created), updated=len(result.updated))


def _events(items: Sequence[tuple[int, Any]], source: str) -> list[EventData]:
    return [
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


def events_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    return StoreReport(created=event_record_many(events=_events(items, source)).inserted)


def events_prepare_items(items: Sequence[tuple[int, Any]], source: str) -> PreparedEvents:
    fields: list[EventFields] = [
        (item.user_id, item.name, item.occurred_at, item.properties, source, item.idempotency_key)
        for _, item in items
    ]
    return events_prepare_fields(events=fields)


def events_store_prepared(prepared: PreparedEvents) -> StoreReport:
    return StoreReport(created=event_record_prepared(prepared=prepared).inserted)
