"""Import a file of one kind: rows in chunks through `batch_ingest`, rejects to a JSONL file.

The rows go through exactly the validation and services the batch API uses; a re-run
creates nothing new. Memory stays flat: one chunk of rows is held at a time.
"""

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from opsroom.ingest.batch import MAX_ITEMS, Kind, batch_ingest
from opsroom.ingest.importers.readers import CountingReader, Row, RowError, csv_rows, jsonl_rows


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


def _chunks(rows: Iterator[Row | RowError], size: int) -> Iterator[list[Row | RowError]]:
    chunk: list[Row | RowError] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
    with path.open("rb") as raw, rejects_path.open("wb") as rejects:
        counting = CountingReader(raw)
        stream: Any = io.BufferedReader(counting, buffer_size=1 << 20)
        rows = jsonl_rows(stream) if file_format == "jsonl" else csv_rows(stream, kind.schema)
        for chunk in _chunks(rows, chunk_size):
            good = [row for row in chunk if isinstance(row, Row)]
            for row in chunk:
                if isinstance(row, RowError):
                    _reject(rejects, row.line, row.field, row.reason, row.raw)
            outcome = batch_ingest(
                kind,
                [row.item for row in good],
                source="import",
                may_hold_nul=any(row.has_nul for row in good),
            )
            for rejection in outcome.rejected:
                row = good[rejection.index]
                _reject(rejects, row.line, rejection.field, rejection.reason, row.item)
            summary.rows += len(chunk)
            summary.accepted += len(outcome.accepted)
            summary.created += outcome.created
            summary.updated += outcome.updated
            summary.rejected += len(chunk) - len(outcome.accepted)
            if progress is not None:
                progress(counting.bytes_read)
    summary.seconds = time.perf_counter() - started
    return summary
