"""Import a file of one kind: rows in chunks through the batch machinery, rejects to JSONL.

The rows go through exactly the validation and services the batch API uses; a re-run
creates nothing new. Reading, validating and preparing the next chunks overlaps storing the
current one: in a second process for kinds that prepare their rows (events), in a second
thread otherwise. At most a few chunks are in flight, so memory stays flat.
"""

import io
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from django.db import connection, transaction

from opsroom.core.bulk import few_collections
from opsroom.ingest.batch import MAX_ITEMS, Kind, Validated, batch_store, batch_validate
from opsroom.ingest.importers.readers import CountingReader, Row, RowError, csv_rows, jsonl_rows
from opsroom.people.services import event_rollups_deferred

_AHEAD = 4  # chunks waiting to be stored
# During an import SQLite checkpoints its write-ahead log every ~400 MB (100,000 pages of 4 KiB)
# instead of every 4 MB: each commit of a chunk would otherwise copy the pages it touched back
# into the database.
_SQLITE_CHECKPOINT_PAGES = 100_000
# And it keeps its statement journals in temporary files, not in memory (temp_store=MEMORY):
# the journal of a chunk's rollup upsert holds a copy of every page the upsert touches, which
# grows with the tables, to ~120 MB of the importer's memory at 500,000 events.
_SOURCE = "import"
# Rows committed together. Each commit writes every index page the rows touched, so larger
# transactions write far less; the writers they make wait are held for seconds at most.
COMMIT_ROWS = 100_000


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
    lines: list[int]  # the line of each item, by index
    items: list[Any] | None  # the items (None once prepared: only rejected ones are kept)
    rejected_items: dict[int, Any]
    errors: list[RowError]
    batch: Validated
    bytes_read: int


def _chunks(kind: Kind, path: Path, file_format: str, size: int, slim: bool) -> Iterator[_Chunk]:
    """Read, validate and prepare the file's rows, a chunk at a time (no database)."""
    with path.open("rb") as raw:
        counting = CountingReader(raw)
        stream: Any = io.BufferedReader(counting, buffer_size=1 << 20)
        rows = jsonl_rows(stream) if file_format == "jsonl" else csv_rows(stream, kind.schema)
        good: list[Row] = []
        errors: list[RowError] = []

        def chunk() -> _Chunk:
            items = [row.item for row in good]
            batch = batch_validate(
                kind, items, source=_SOURCE, may_hold_nul=any(row.has_nul for row in good)
            )
            rejected = {r.index: items[r.index] for r in batch.rejected}
            if slim and batch.prepared is not None:
                return _Chunk([row.line for row in good], None, rejected, errors, batch.slim(), 0)
            return _Chunk([row.line for row in good], items, rejected, errors, batch, 0)

        for row in rows:
            if isinstance(row, RowError):
                errors.append(row)
            else:
                good.append(row)
            if len(good) + len(errors) >= size:
                done = chunk()
                done.bytes_read = counting.bytes_read
                yield done
                good, errors = [], []
        if good or errors:
            done = chunk()
            done.bytes_read = counting.bytes_read
            yield done


def _in_thread(chunks: Iterator[_Chunk]) -> Iterator[_Chunk]:
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


def _produce(kind: Kind, path: Path, file_format: str, size: int, out: Any) -> None:
    """The reading process: it never touches the database (it inherited the connection)."""
    try:
        for chunk in _chunks(kind, path, file_format, size, slim=True):
            out.put(chunk)
        out.put(None)
    except BaseException as exc:
        out.put(exc)


def _in_process(kind: Kind, path: Path, file_format: str, size: int) -> Iterator[_Chunk]:
    """Produce the chunks in a forked process: preparing events takes a core of its own."""
    context = multiprocessing.get_context("fork")
    handoff = context.Queue(maxsize=_AHEAD)
    process = context.Process(
        target=_produce, args=(kind, path, file_format, size, handoff), daemon=True
    )
    process.start()

    def consume() -> Iterator[_Chunk]:
        try:
            while True:
                try:
                    item = handoff.get(timeout=1)
                except queue.Empty:
                    if not process.is_alive():
                        raise RuntimeError("the import's reading process stopped") from None
                    continue
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if process.is_alive():
                process.terminate()
            process.join()

    return consume()


@contextmanager
def _bulk_session() -> Iterator[None]:
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint = {_SQLITE_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA temp_store = FILE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint = 1000")
            cursor.execute("PRAGMA temp_store = MEMORY")
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
    commit_rows: int = COMMIT_ROWS,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every row of `path`; `progress(bytes_read)` is called after each chunk.

    Chunks are committed together up to `commit_rows` rows; an error rolls back the
    transaction under way (a re-run picks up where it stopped, as nothing is stored twice).
    """
    summary = ImportSummary()
    started = time.perf_counter()
    with (
        few_collections(),  # before the reading process forks: it inherits the frozen objects
        rejects_path.open("wb") as rejects,
        _bulk_session(),
        ExitStack() as stack,
    ):
        if kind.prepare is not None and "fork" in multiprocessing.get_all_start_methods():
            chunks = _in_process(kind, path, file_format, chunk_size)
        else:
            chunks = _in_thread(_chunks(kind, path, file_format, chunk_size, slim=False))
        uncommitted = 0
        for chunk in chunks:
            if uncommitted == 0:
                stack.enter_context(transaction.atomic())
                # Daily counts and last-seen once per commit, not once per chunk.
                stack.enter_context(event_rollups_deferred())
            for error in chunk.errors:
                _reject(rejects, error.line, error.field, error.reason, error.raw)
            outcome = batch_store(kind, chunk.batch, source=_SOURCE)
            for rejection in outcome.rejected:
                item = chunk.rejected_items.get(rejection.index)
                if item is None and chunk.items is not None:
                    item = chunk.items[rejection.index]
                line = chunk.lines[rejection.index]
                _reject(rejects, line, rejection.field, rejection.reason, item)
            received = len(chunk.lines) + len(chunk.errors)
            uncommitted += received
            if uncommitted >= commit_rows:
                stack.close()
                uncommitted = 0
            summary.rows += received
            summary.accepted += len(outcome.accepted)
            summary.created += outcome.created
            summary.updated += outcome.updated
            summary.rejected += received - len(outcome.accepted)
            if progress is not None:
                progress(chunk.bytes_read)
    summary.seconds = time.perf_counter() - started
    return summary
