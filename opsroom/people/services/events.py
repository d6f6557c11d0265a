"""Writes of product events and the daily activity rollups and last-seen they maintain."""

import hashlib
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from opsroom.core import clock
from opsroom.core.jsonshape import MAX_DEPTH as JSON_MAX_DEPTH
from opsroom.core.redaction import payload_redact
from opsroom.people import event_sql
from opsroom.people.services.persons import person_ids_ensure


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


@dataclass(frozen=True)
class PreparedEvents:
    """Events ready to store: one per idempotency key, sorted by key, values converted.

    Preparing touches no database, so it can run before the write transaction (on SQLite that
    transaction holds the write lock throughout), or in another thread or process.
    """

    given: int
    people: frozenset[str]  # every person named, duplicates included
    # (person external id, name, time, properties JSON, source, key); the time is SQLite text
    # on SQLite and an aware datetime elsewhere.
    rows: list[tuple[str, str, Any, str, str, str]]
    # On SQLite, the daily counts (person external id, ISO day, name, count) and the latest
    # time of each person (external id, SQLite text) of all the rows, for when all are new.
    activity: list[tuple[str, str, str, int]] | None = None
    last_seen: list[tuple[str, str]] | None = None


# An event as plain values: (person external id, name, time, properties, source, key or None).
EventFields = tuple[str, str, datetime, dict[str, Any], str, str | None]


def events_prepare(*, events: Sequence[EventData]) -> PreparedEvents:
    """Deduplicate events by idempotency key and convert their values for the database."""
    return events_prepare_fields(
        events=[
            (e.person_external_id, e.name, e.occurred_at, e.properties, e.source, e.idempotency_key)
            for e in events
        ]
    )


def events_prepare_fields(*, events: Sequence[EventFields]) -> PreparedEvents:
    """`events_prepare` of events given as `EventFields` tuples (cheaper to build in bulk)."""
    by_key: dict[str, EventFields] = {}
    for event in events:
        person, name, occurred_at, properties, _, key = event
        if not key:
            key = event_idempotency_key(
                person_external_id=person, name=name, occurred_at=occurred_at, properties=properties
            )
        by_key.setdefault(key, event)
    as_text = connection.vendor == "sqlite"
    time_value = event_sql.sqlite_time if as_text else None
    json_text = event_sql.json_text
    rows: list[tuple[str, str, Any, str, str, str]] = []
    for key in sorted(by_key):
        person, name, occurred_at, properties, source, _ = by_key[key]
        at = time_value(occurred_at) if time_value is not None else occurred_at
        stored = payload_redact(properties, max_depth=JSON_MAX_DEPTH)
        rows.append((person, name, at, json_text(stored), source, key))
    people = frozenset(event[0] for event in events)
    if not as_text:
        return PreparedEvents(given=len(events), people=people, rows=rows)
    counts = Counter((row[0], row[2][:10], row[1]) for row in rows)
    # Sorted by time, the last time kept for a person is their latest.
    latest = dict(sorted((row[0], row[2]) for row in rows))
    return PreparedEvents(
        given=len(events),
        people=people,
        rows=rows,
        activity=[(*key, count) for key, count in counts.items()],
        last_seen=list(latest.items()),
    )


def event_record_many(*, events: Sequence[EventData]) -> EventBatchResult:
    """Store events once each (by idempotency key) and keep rollups and last-seen current.

    Only events actually inserted count towards the daily rollups and last-seen, so a re-sent
    batch changes nothing, even when two writers send it at the same time.
    """
    return event_record_prepared(prepared=events_prepare(events=events))


def event_record_prepared(*, prepared: PreparedEvents) -> EventBatchResult:
    """Store prepared events (see `events_prepare`), as `event_record_many` does."""
    if not prepared.rows:
        return EventBatchResult(inserted=0, duplicates=prepared.given)
    with transaction.atomic():
        person_ids = person_ids_ensure(external_ids=prepared.people)
        rows = [(person_ids[row[0]], *row[1:]) for row in prepared.rows]
        if connection.vendor == "sqlite":
            pending: _PendingRollups | None = getattr(_deferred, "pending", None)
            inserted = event_sql.events_record_sqlite(
                rows,
                clock.now(),
                rollups=_rollups(prepared, person_ids),
                defer=pending.add if pending is not None else None,
            )
        else:
            inserted = _events_record(rows)
    return EventBatchResult(inserted=inserted, duplicates=prepared.given - inserted)


class _PendingRollups:
    """Daily counts and latest times of stored events, not yet written."""

    def __init__(self) -> None:
        # Counts of one (person, day, name) from several batches are added up by the upsert.
        self.activity: list[tuple[int, str, str, int]] = []
        self.last_seen: dict[int, str] = {}

    def add(self, rollups: event_sql.Rollups) -> None:
        self.activity += rollups.activity
        latest = self.last_seen
        for person_id, at in rollups.last_seen:
            if at > latest.get(person_id, ""):
                latest[person_id] = at

    def write(self) -> None:
        self.activity.sort()  # each batch's counts are sorted already: a merge of runs
        event_sql.rollups_apply_sqlite(
            event_sql.Rollups(activity=self.activity, last_seen=sorted(self.last_seen.items()))
        )


_deferred = threading.local()


@contextmanager
def event_rollups_deferred() -> Iterator[None]:
    """Inside a transaction, on SQLite: write the daily counts and last-seen of the events
    stored within once, at the end, rather than per batch. A bulk import spends far fewer
    writes on people and rollups seen in many of its batches. Elsewhere it changes nothing."""
    if connection.vendor != "sqlite" or getattr(_deferred, "pending", None) is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("event_rollups_deferred() needs a transaction around it.")
    pending = _PendingRollups()
    _deferred.pending = pending
    try:
        yield
    finally:
        _deferred.pending = None
    # Not reached when the block raised: the transaction rolls back, events and counts alike.
    pending.write()


def _rollups(prepared: PreparedEvents, person_ids: dict[str, int]) -> event_sql.Rollups | None:
    if prepared.activity is None or prepared.last_seen is None:
        return None
    # In the order of the rollups' unique index and of the people: far fewer pages touched.
    activity = sorted([(person_ids[p], day, name, n) for p, day, name, n in prepared.activity])
    last_seen = sorted([(person_ids[p], at) for p, at in prepared.last_seen])
    return event_sql.Rollups(activity=activity, last_seen=last_seen)


def _events_record(rows: list[event_sql.EventRow]) -> int:
    inserted_keys = event_sql.events_insert(rows, clock.now())
    by_key = {row[5]: row for row in rows}
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    last_seen: dict[int, datetime] = {}
    for key in inserted_keys:
        person_id, name, occurred_at, *_ = by_key[key]
        moment = occurred_at.astimezone(UTC)
        counts[(person_id, moment.date().isoformat(), name)] += 1
        if person_id not in last_seen or moment > last_seen[person_id]:
            last_seen[person_id] = moment
    activity_add(counts=counts)
    _last_seen_advance(last_seen)
    return len(inserted_keys)


def activity_add(*, counts: dict[tuple[int, str, str], int]) -> None:
    """Add to daily activity counts, keyed by (person id, ISO day, event name)."""
    if not counts:
        return
    # One lock order for every writer.
    event_sql.activity_upsert([(*key, count) for key, count in sorted(counts.items())])


def _last_seen_advance(last_seen: dict[int, datetime]) -> None:
    if not last_seen:
        return
    event_sql.last_seen_advance(sorted(last_seen.items()))
