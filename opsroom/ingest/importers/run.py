"""Import a file of one kind: rows in chunks through the batch machinery, rejects to JSONL.

The rows go through exactly the validation and services the batch API uses; a re-run
creates nothing new. Reading and validating the next chunk (in a second thread) overlaps
storing the current one; at most a few chunks are held at a time, so memory stays flat.
"""

import io
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from django.db import connection

from opsroom.ingest.batch import MAX_ITEMS, Kind, Validated, batch_store, batch_validate
from opsroom.ingest.importers.readers import CountingReader, Row, RowError, csv_rows, jsonl_rows

_AHEAD = 2  # validated chunks waiting to be stored
# During an import SQLite checkpoints its write-ahead log every ~80 MB instead of every 4 MB
# (each commit of a chunk would otherwise copy the pages it touched back into the database).
_SQLITE_CHECKPOINT_PAGES = 20_000


@dataclass
class ImportSummary:
    rows: int = 0
    accepted: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    seconds: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.accepted - self.created - self.updated


@dataclass
class _Chunk:
    rows: list[Row]
    errors: list[RowError]
    batch: Validated
    bytes_read: int


def _chunks(
    kind: Kind, rows: Iterator[Row | RowError], size: int, counting: CountingReader
) -> Iterator[_Chunk]:
    good: list[Row] = []
    errors: list[RowError] = []

    def chunk() -> _Chunk:
        batch = batch_validate(
            kind, [row.item for row in good], may_hold_nul=any(row.has_nul for row in good)
        )
        return _Chunk(good, errors, batch, counting.bytes_read)

    for row in rows:
        if isinstance(row, RowError):
            errors.append(row)
        else:
            good.append(row)
        if len(good) + len(errors) >= size:
            yield chunk()
            good, errors = [], []
    if good or errors:
        yield chunk()


def _read_ahead(chunks: Iterator[_Chunk]) -> Iterator[_Chunk]:
    """Produce the chunks in a second thread, a bounded number ahead of the consumer."""
    handoff: queue.Queue[_Chunk | BaseException | None] = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        handoff.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            handoff.put(exc)

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


@contextmanager
def _bulk_session() -> Iterator[None]:
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint = {_SQLITE_CHECKPOINT_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint = 1000")
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _reject(out: IO[bytes], line: int, field: str, reason: str, row: Any) -> None:
    out.write(orjson.dumps({"line": line, "field": field, "reason": reason, "row": row}) + b"\n")


def file_import(
    kind: Kind,
    path: Path,
    *,
    file_format: str,
    rejects_path: Path,
    chunk_size: int = MAX_ITEMS,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every row of `path`; `progress(bytes_read)` is called after each chunk."""
    summary = ImportSummary()
    started = time.perf_counter()
    with path.open("rb") as raw, rejects_path.open("wb") as rejects, _bulk_session():
        counting = CountingReader(raw)
        stream: Any = io.BufferedReader(counting, buffer_size=1 << 20)
        rows = jsonl_rows(stream) if file_format == "jsonl" else csv_rows(stream, kind.schema)
        for chunk in _read_ahead(_chunks(kind, rows, chunk_size, counting)):
            for error in chunk.errors:
                _reject(rejects, error.line, error.field, error.reason, error.raw)
            outcome = batch_store(kind, chunk.batch, source="import")
            for rejection in outcome.rejected:
                row = chunk.rows[rejection.index]
                _reject(rejects, row.line, rejection.field, rejection.reason, row.item)
            summary.rows += len(chunk.rows) + len(chunk.errors)
            summary.accepted += len(outcome.accepted)
            summary.created += outcome.created
            summary.updated += outcome.updated
            summary.rejected += len(chunk.errors) + len(chunk.rows) - len(outcome.accepted)
            if progress is not None:
                progress(chunk.bytes_read)
    summary.seconds = time.perf_counter() - started
    return summary
