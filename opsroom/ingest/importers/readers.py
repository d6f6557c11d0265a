"""Read JSONL or CSV files one row at a time, with the line each row started on.

Nothing is held beyond the current row, so a file of any size reads in constant memory.
A row that cannot be read (bad JSON, a bad JSON cell in a CSV) comes out as a `RowError`.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import IO, Any, NamedTuple

import orjson

from opsroom.ingest.schemas.fields import ItemIn

FORMATS = ("jsonl", "csv")


class Row(NamedTuple):  # one per row of a file: a tuple is cheapest to make
    line: int
    item: Any
    has_nul: bool


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str
    raw: str


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it (for the progress bar)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.bytes_read += count or 0
        return count or 0


def jsonl_rows(stream: IO[bytes]) -> Iterator[Row | RowError]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raw = line[:2000].decode("utf-8", "replace")
            yield RowError(number, "", f"not valid JSON: {exc}", raw)
            continue
        yield Row(number, item, b"\\u0000" in line)


@cache
def _json_columns(schema: type[ItemIn]) -> frozenset[str]:
    """Fields holding objects or lists: a CSV cell gives them as JSON text."""
    names = set()
    for name, prop in schema.model_json_schema()["properties"].items():
        types = {option.get("type") for option in prop.get("anyOf", [prop])}
        if types & {"object", "array"} and "string" not in types:
            names.add(name)
    return frozenset(names)


def csv_rows(stream: IO[bytes], schema: type[ItemIn]) -> Iterator[Row | RowError]:
    """Rows of a CSV file with a header; empty cells are left out, JSON columns are parsed."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    header = [name.strip() for name in header]
    json_columns = _json_columns(schema)
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        raw = ",".join(cells)
        if len(cells) != len(header):
            yield RowError(line, "", f"has {len(cells)} cells; the header has {len(header)}", raw)
            continue
        item: dict[str, Any] = {}
        failed = None
        for name, cell in zip(header, cells, strict=True):
            if cell == "":
                continue
            if name in json_columns:
                try:
                    item[name] = orjson.loads(cell)
                except orjson.JSONDecodeError as exc:
                    failed = RowError(line, name, f"not valid JSON: {exc}", raw)
                    break
            else:
                item[name] = cell
        if failed is not None:
            yield failed
            continue
        yield Row(line, item, "\x00" in raw or "\\u0000" in raw)
