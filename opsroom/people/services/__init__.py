"""Writes of the people app. Every public name stays importable from here."""

from opsroom.people.services.events import (
    EventBatchResult,
    EventData,
    EventFields,
    PreparedEvents,
    activity_add,
    event_idempotency_key,
    event_record_many,
    event_record_prepared,
    event_rollups_deferred,
    events_prepare,
    events_prepare_fields,
)
from opsroom.people.services.persons import (
    PERSON_FIELDS,
    note_create,
    person_ids_ensure,
    person_tags_add,
    person_upsert,
    person_upsert_many,
)

__all__ = [
    "PERSON_FIELDS",
    "EventBatchResult",
    "EventData",
    "EventFields",
    "PreparedEvents",
    "activity_add",
    "event_idempotency_key",
    "event_record_many",
    "event_record_prepared",
    "event_rollups_deferred",
    "events_prepare",
    "events_prepare_fields",
    "note_create",
    "person_ids_ensure",
    "person_tags_add",
    "person_upsert",
    "person_upsert_many",
]
