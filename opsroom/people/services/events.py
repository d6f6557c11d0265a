"""Writes of product events and the daily activity rollups and last-seen they maintain."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from opsroom.core import clock
from opsroom.people.models import ActivityDaily, Event, Person
from opsroom.people.services.persons import person_ids_ensure

_EVENT_CHUNK = 1000


@dataclass(frozen=True)
class EventData:
    person_external_id: str
    name: str
    occurred_at: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    source: str = "api"
    idempotency_key: str | None = None


@dataclass(frozen=True)
class EventBatchResult:
    inserted: int
    duplicates: int


def event_idempotency_key(
    *, person_external_id: str, name: str, occurred_at: datetime, properties: dict[str, Any]
) -> str:
    """A key derived from an event's content, for senders that give none."""
    canonical = json.dumps(
        [person_external_id, name, occurred_at.astimezone(UTC).isoformat(), properties],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return "h:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


@transaction.atomic
def event_record_many(*, events: Sequence[EventData]) -> EventBatchResult:
    """Store events once each (by idempotency key) and keep rollups and last-seen current.

    Only events actually inserted count towards the daily rollups and last-seen, so a re-sent
    batch changes nothing, even when two writers send it at the same time.
    """
    if not events:
        return EventBatchResult(inserted=0, duplicates=0)
    person_ids = person_ids_ensure(external_ids=(event.person_external_id for event in events))
    now = clock.now()
    by_key: dict[str, tuple[int, EventData]] = {}
    for event in events:
        key = event.idempotency_key or event_idempotency_key(
            person_external_id=event.person_external_id,
            name=event.name,
            occurred_at=event.occurred_at,
            properties=event.properties,
        )
        by_key.setdefault(key, (person_ids[event.person_external_id], event))

    inserted_keys: list[str] = []
    items = sorted(by_key.items())
    for start in range(0, len(items), _EVENT_CHUNK):
        inserted_keys.extend(_events_insert(items[start : start + _EVENT_CHUNK], now))

    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    last_seen: dict[int, datetime] = {}
    for key in inserted_keys:
        person_id, event = by_key[key]
        moment = event.occurred_at.astimezone(UTC)
        counts[(person_id, moment.date().isoformat(), event.name)] += 1
        if person_id not in last_seen or moment > last_seen[person_id]:
            last_seen[person_id] = moment
    activity_add(counts=counts)
    _last_seen_advance(last_seen)
    return EventBatchResult(
        inserted=len(inserted_keys), duplicates=len(events) - len(inserted_keys)
    )


def _events_insert(items: Sequence[tuple[str, tuple[int, EventData]]], now: datetime) -> list[str]:
    ops = connection.ops
    table = connection.ops.quote_name(Event._meta.db_table)
    params: list[Any] = []
    for key, (person_id, event) in items:
        params += [
            person_id,
            event.name,
            ops.adapt_datetimefield_value(event.occurred_at),
            ops.adapt_json_value(event.properties, None),
            event.source,
            key,
            ops.adapt_datetimefield_value(now),
        ]
    placeholders = ",".join(["(%s,%s,%s,%s,%s,%s,%s)"] * len(items))
    sql = (  # only quoted table names and placeholders are interpolated
        f"INSERT INTO {table} (person_id, name, occurred_at, properties, source, "  # noqa: S608
        f"idempotency_key, received_at) VALUES {placeholders} "
        f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def activity_add(*, counts: dict[tuple[int, str, str], int]) -> None:
    """Add to daily activity counts, keyed by (person id, ISO day, event name)."""
    if not counts:
        return
    table = connection.ops.quote_name(ActivityDaily._meta.db_table)
    rows = sorted(counts.items())  # one lock order for every writer
    for start in range(0, len(rows), _EVENT_CHUNK):
        chunk = rows[start : start + _EVENT_CHUNK]
        params: list[Any] = []
        for (person_id, day, name), count in chunk:
            params += [person_id, day, name, count]
        placeholders = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
        sql = (  # only quoted table names and placeholders are interpolated
            f"INSERT INTO {table} (person_id, day, name, count) VALUES {placeholders} "  # noqa: S608
            f"ON CONFLICT (person_id, day, name) "
            f"DO UPDATE SET count = {table}.count + excluded.count"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _last_seen_advance(last_seen: dict[int, datetime]) -> None:
    if not last_seen:
        return
    ops = connection.ops
    table = ops.quote_name(Person._meta.db_table)
    rows = sorted(last_seen.items())
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        params: list[Any] = []
        for person_id, moment in chunk:
            params += [person_id, ops.adapt_datetimefield_value(moment)]
        if connection.vendor == "postgresql":
            values = ",".join(["(%s::bigint,%s::timestamptz)"] * len(chunk))
        else:
            values = ",".join(["(%s,%s)"] * len(chunk))
        sql = (  # only quoted table names and placeholders are interpolated
            f"WITH seen(person_id, at) AS (VALUES {values}) "  # noqa: S608
            f"UPDATE {table} SET last_seen_at = seen.at FROM seen "
            f"WHERE {table}.id = seen.person_id "
            f"AND ({table}.last_seen_at IS NULL OR {table}.last_seen_at < seen.at)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
