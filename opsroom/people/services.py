"""Writes of people, their product events and daily activity, and staff notes."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from opsroom.core import clock
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import UpsertResult, rows_upsert
from opsroom.people.models import ActivityDaily, Event, Note, Person, Tag

# Fields a person record may carry; attributes merge key by key (a None value removes a key).
PERSON_FIELDS = (
    "email",
    "name",
    "signed_up_at",
    "last_seen_at",
    "acquisition_channel",
    "is_vip",
    "status",
    "attributes",
)
_EVENT_CHUNK = 1000


def person_upsert_many(*, rows: Sequence[dict[str, Any]]) -> UpsertResult[Person]:
    """Create or update people by external id; each row holds only the fields it sets."""
    for row in rows:
        unknown = set(row) - {"external_id", *PERSON_FIELDS}
        if unknown:
            raise ValueError(f"unknown person fields: {sorted(unknown)}")
    return rows_upsert(Person, key_field="external_id", rows=rows, prepare=_person_prepare)


def _person_prepare(current: Person | None, row: dict[str, Any]) -> dict[str, Any]:
    values = dict(row)
    values["is_placeholder"] = False
    if values.get("email") is not None:
        values["email"] = values["email"].strip().lower()
    if "attributes" in values:
        merged = dict(current.attributes) if current else {}
        for key, value in (values["attributes"] or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["attributes"] = merged
    if current is not None and current.last_seen_at and values.get("last_seen_at"):
        values["last_seen_at"] = max(current.last_seen_at, values["last_seen_at"])
    return values


def person_upsert(*, external_id: str, **fields: Any) -> Person:
    """Create or update one person."""
    result = person_upsert_many(rows=[{"external_id": external_id, **fields}])
    return result.by_key[external_id]


def person_ids_ensure(*, external_ids: Iterable[str]) -> dict[str, int]:
    """Map external ids to person ids, creating placeholders for people not seen before."""
    wanted = sorted(set(external_ids))
    ids = _person_ids(wanted)
    missing = [external_id for external_id in wanted if external_id not in ids]
    if missing:
        now = clock.now()
        Person.objects.bulk_create(
            [
                Person(external_id=external_id, is_placeholder=True, created_at=now, updated_at=now)
                for external_id in missing
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        ids.update(_person_ids(missing))
    return ids


def _person_ids(external_ids: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        ids.update(Person.objects.filter(external_id__in=chunk).values_list("external_id", "id"))
    return ids


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


@transaction.atomic
def note_create(*, person: Person, body: str, audit: AuditContext, is_pinned: bool = False) -> Note:
    """Add a staff note to a person."""
    body = body.strip()
    if not body:
        raise ValueError("A note cannot be empty.")
    if audit.actor is None:
        raise ValueError("Notes are written by a staff user.")
    note = Note.objects.create(person=person, author=audit.actor, body=body, is_pinned=is_pinned)
    audit_record(audit, action="person.note_add", target=person, params={"note_id": note.pk})
    return note


@transaction.atomic
def person_tags_add(*, people: Sequence[Person], tag_names: Sequence[str]) -> list[Tag]:
    """Attach tags (created when new) to people."""
    names = sorted({name.strip().lower() for name in tag_names if name.strip()})
    if not names:
        raise ValueError("Give at least one tag.")
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tags = list(Tag.objects.filter(name__in=names))
    through = Person.tags.through
    through.objects.bulk_create(
        [through(person_id=person.pk, tag_id=tag.pk) for person in people for tag in tags],
        ignore_conflicts=True,
        batch_size=500,
    )
    return tags
