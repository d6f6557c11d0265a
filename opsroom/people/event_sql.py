"""The multi-row statements of the event write path, in the form each database runs fastest.

PostgreSQL takes a whole batch as one JSON parameter (`json_to_recordset`): neither Django
nor psycopg then parses a query holding thousands of placeholders or quotes thousands of
values in Python. SQLite takes multi-row VALUES lists. Rows are written in one sorted order
by every writer, so concurrent batches wait for each other instead of deadlocking.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
from django.db import connection

from opsroom.people.models import ActivityDaily, Event, Person

# Rows per statement on SQLite, within its limit of 32,766 parameters.
_SQLITE_ROWS = 2000
# person id, name, time, properties (JSON text), source, idempotency key
EventRow = tuple[int, str, datetime, str, str, str]


def json_text(value: Any) -> str:
    """JSON text of a value (orjson, or the standard library for what orjson refuses)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def sqlite_time(value: datetime) -> str:
    # What Django's SQLite backend stores for an aware datetime: naive UTC, space-separated
    # ("2026-03-10 09:00:00[.123456]"): str() of a UTC datetime, less its "+00:00".
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return str(value)[:-6]


def _recordset(columns: str, rows: Sequence[Sequence[Any]]) -> str:
    """Rows as one JSON array of objects keyed by one-letter column names."""
    return orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows]).decode()


def _quoted(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _chunks(rows: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def person_ids_by_external_id(external_ids: Sequence[str]) -> dict[str, int]:
    """Map external ids to person ids for the people that exist."""
    if not external_ids:
        return {}
    table = _quoted(Person)
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT external_id, id FROM {table} WHERE external_id = ANY(%s)",  # noqa: S608
                [list(external_ids)],
            )
            ids.update(cursor.fetchall())
            return ids
        # One statement for any number of ids (an IN list is limited to ~32,000 parameters).
        cursor.execute(
            f"SELECT external_id, id FROM {table} WHERE external_id IN "  # noqa: S608
            "(SELECT value FROM json_each(%s))",
            [orjson.dumps(list(external_ids)).decode()],
        )
        ids.update(cursor.fetchall())
    return ids


def events_insert(rows: Sequence[EventRow], received_at: datetime) -> list[str]:
    """Insert event rows sorted by key; return the keys inserted (the others were stored)."""
    table = _quoted(Event)
    columns = "person_id, name, occurred_at, properties, source, idempotency_key, received_at"
    conflict = "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            batch = orjson.dumps(
                [
                    {"p": p, "n": n, "o": o, "j": orjson.Fragment(j), "s": s, "k": k}
                    for p, n, o, j, s, k in rows
                ]
            ).decode()
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608
                "SELECT p, n, o, j, s, k, %s FROM json_to_recordset(%s::json) "
                "AS t(p bigint, n text, o timestamptz, j jsonb, s text, k text) " + conflict,
                [received_at, batch],
            )
            return [row[0] for row in cursor.fetchall()]
        inserted: list[str] = []
        stamp = sqlite_time(received_at)
        for chunk in _chunks(rows, _SQLITE_ROWS):
            params: list[Any] = []
            for person_id, name, occurred_at, properties, source, key in chunk:
                params += [person_id, name, sqlite_time(occurred_at), properties, source, key]
                params.append(stamp)
            marks = ",".join(["(%s,%s,%s,%s,%s,%s,%s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {marks} " + conflict,  # noqa: S608
                params,
            )
            inserted.extend(row[0] for row in cursor.fetchall())
    return inserted


@dataclass(frozen=True)
class Rollups:
    """The daily counts and latest times of a batch of event rows, counted before storing."""

    activity: list[tuple[int, str, str, int]]  # (person id, ISO day, name, count)
    last_seen: list[tuple[int, str]]  # (person id, latest time as SQLite text), by person


def events_record_sqlite(
    rows: Sequence[tuple[int, str, str, str, str, str]],
    received_at: datetime,
    rollups: Rollups | None = None,
    defer: Callable[[Rollups], None] | None = None,
) -> int:
    """SQLite: insert event rows (times as `sqlite_time` text) and add them to the daily counts
    and last-seen; return how many were inserted.

    When every row was inserted, the counts are the `rollups` given (counted over all the rows);
    otherwise they are derived in SQL from the rows just inserted: the transaction holds
    SQLite's write lock from its start (IMMEDIATE), so those are exactly the rows with an id
    above the largest one before. `defer` takes the given counts instead of writing them (the
    caller writes them later in the same transaction, with `rollups_apply_sqlite`).
    """
    events = _quoted(Event)
    activity = _quoted(ActivityDaily)
    people = _quoted(Person)
    stamp = sqlite_time(received_at)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {events}")  # noqa: S608
        (before,) = cursor.fetchone()
        cursor.executemany(
            f"INSERT INTO {events} (person_id, name, occurred_at, properties, source, "  # noqa: S608
            "idempotency_key, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (idempotency_key) DO NOTHING",
            # In the order of the person/time index: each of its pages is touched once.
            [(*row, stamp) for row in sorted(rows, key=itemgetter(0, 2))],
        )
        cursor.execute(f"SELECT count(*) FROM {events} WHERE id > %s", [before])  # noqa: S608
        (inserted,) = cursor.fetchone()
        if not inserted:
            return 0
        if rollups is not None and inserted == len(rows):
            if defer is not None:
                defer(rollups)
            else:
                rollups_apply_sqlite(rollups)
            return int(inserted)
        cursor.execute(
            f"INSERT INTO {activity} (person_id, day, name, count) "  # noqa: S608
            "SELECT person_id, substr(occurred_at, 1, 10), name, count(*) "
            f"FROM {events} WHERE id > %s GROUP BY person_id, substr(occurred_at, 1, 10), name "
            f"ON CONFLICT (person_id, day, name) "
            f"DO UPDATE SET count = {activity}.count + excluded.count",
            [before],
        )
        cursor.execute(
            f"UPDATE {people} SET last_seen_at = seen.at FROM ("  # noqa: S608
            f"SELECT person_id, max(occurred_at) AS at FROM {events} WHERE id > %s "
            f"GROUP BY person_id) AS seen WHERE {people}.id = seen.person_id "
            f"AND ({people}.last_seen_at IS NULL OR {people}.last_seen_at < seen.at)",
            [before],
        )
    return int(inserted)


def rollups_apply_sqlite(rollups: Rollups) -> None:
    """SQLite: add counted daily activity and advance last-seen (rows in index order)."""
    activity = _quoted(ActivityDaily)
    people = _quoted(Person)
    with connection.cursor() as cursor:
        # One row per statement: no statement journal, no reading the new rows back.
        cursor.executemany(
            f"INSERT INTO {activity} (person_id, day, name, count) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (person_id, day, name) "
            f"DO UPDATE SET count = {activity}.count + excluded.count",
            rollups.activity,
        )
        cursor.executemany(
            f"UPDATE {people} SET last_seen_at = %s WHERE id = %s "  # noqa: S608
            "AND (last_seen_at IS NULL OR last_seen_at < %s)",
            [(at, person_id, at) for person_id, at in rollups.last_seen],
        )


def activity_upsert(rows: Sequence[tuple[int, str, str, int]]) -> None:
    """Add (person id, ISO day, name, count) rows to the daily counts; rows sorted by key."""
    table = _quoted(ActivityDaily)
    conflict = (
        f"ON CONFLICT (person_id, day, name) DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (person_id, day, name, count) "  # noqa: S608
                "SELECT p, d, n, c FROM json_to_recordset(%s::json) "
                "AS t(p bigint, d date, n text, c integer) " + conflict,
                [_recordset("pdnc", rows)],
            )
            return
        for chunk in _chunks(rows, _SQLITE_ROWS):
            params = [value for row in chunk for value in row]
            marks = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (person_id, day, name, count) VALUES {marks} "  # noqa: S608
                + conflict,
                params,
            )


def last_seen_advance(rows: Sequence[tuple[int, datetime]]) -> None:
    """Move last_seen_at forward to the given (person id, time) rows, never backwards."""
    table = _quoted(Person)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows to move are locked in id order first, as every writer does; NO KEY
            # UPDATE, as an UPDATE takes, leaves the key-share locks of foreign keys be.
            sql = (
                "WITH seen(person_id, at) AS ("  # noqa: S608 - only the table name is interpolated
                "SELECT p, a FROM json_to_recordset(%s::json) AS t(p bigint, a timestamptz)), "
                f"moving AS (SELECT p.id, seen.at FROM {table} p JOIN seen "
                "ON p.id = seen.person_id WHERE p.last_seen_at IS NULL OR p.last_seen_at < seen.at "
                "ORDER BY p.id FOR NO KEY UPDATE OF p) "
                f"UPDATE {table} SET last_seen_at = moving.at FROM moving "
                f"WHERE {table}.id = moving.id"
            )
            cursor.execute(
                sql,
                [_recordset("pa", rows)],
            )
            return
        for chunk in _chunks(rows, 900):
            params = [value for person_id, at in chunk for value in (person_id, sqlite_time(at))]
            values = ",".join(["(%s,%s)"] * len(chunk))
            cursor.execute(
                f"WITH seen(person_id, at) AS (VALUES {values}) "  # noqa: S608
                f"UPDATE {table} SET last_seen_at = seen.at FROM seen "
                f"WHERE {table}.id = seen.person_id "
                f"AND ({table}.last_seen_at IS NULL OR {table}.last_seen_at < seen.at)",
                params,
            )
