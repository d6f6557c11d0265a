"""From a validated item to the row an owning app's `*_upsert_many` service takes.

Rows hold only the fields an item set. A null timestamp clears it (kinds whose timestamps
can never be empty drop those); any other null is the same as leaving the field out.
"""

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from opsroom.ingest.schemas.fields import ItemIn


@cache
def _timestamp_fields(schema: type[ItemIn]) -> frozenset[str]:
    names = set()
    for name, prop in schema.model_json_schema()["properties"].items():
        options = prop.get("anyOf", [prop])
        if any(option.get("format") == "date-time" for option in options):
            names.add(name)
    return frozenset(names)


def item_row(
    item: ItemIn, *, rename: dict[str, str] | None = None, exclude: Iterable[str] = ()
) -> dict[str, Any]:
    """The fields an item set, renamed to the model's field names."""
    timestamps = _timestamp_fields(type(item))
    rename = rename or {}
    row: dict[str, Any] = {}
    for name, value in item.model_dump(exclude_unset=True, exclude=set(exclude)).items():
        if value is None and name not in timestamps:
            continue
        row[rename.get(name, name)] = value
    return row


def distinct(values: Iterable[str | None]) -> list[str]:
    """Non-empty values once each, in a stable order."""
    return sorted({value for value in values if value})


def unknown_reference(
    items: Sequence[tuple[int, Any]], field: str, known: dict[str, int] | set[str], what: str
) -> list[tuple[int, str, str]]:
    """(index, field, reason) for items naming a record that is not stored yet."""
    return [
        (index, field, f"unknown {field} {getattr(item, field)!r}: send the {what} first")
        for index, item in items
        if getattr(item, field) and getattr(item, field) not in known
    ]
