"""A batch, item by item: validate each on its own, store the valid ones, report the rest.

The batch API and the import command both go through `batch_ingest`, so a row is accepted
or refused for the same reason whichever way it arrives. A kind's `store` calls the owning
app's services; it may refuse further items (an unknown reference) before it writes anything.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import OperationalError, connection
from pydantic import TypeAdapter, ValidationError

from opsroom.core.jsonshape import json_shape_problem
from opsroom.ingest.schemas.fields import ItemIn, validation_context

# Every kind accepts at most this many items per request (and per import chunk).
MAX_ITEMS = 10_000
# A batch that loses a deadlock (PostgreSQL) or a serialization conflict is tried again.
_ATTEMPTS = 3
_TRANSIENT_SQLSTATES = {"40P01", "40001"}
_SLICE = 500


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str
    reason: str


@dataclass
class StoreReport:
    created: int = 0
    updated: int = 0
    rejected: list[Rejection] = field(default_factory=list)


Store = Callable[[Sequence[tuple[int, Any]], str], StoreReport]


@dataclass(frozen=True)
class Kind:
    """One kind of record the API and the importers accept.

    A kind may split storing in two: `prepare` (no database: it may run before the write
    transaction, or in another process) and `store_prepared`. Such a kind refuses no item
    after validation.
    """

    name: str  # URL segment and import KIND, e.g. "ticket-messages"
    schema: type[ItemIn]
    store: Store  # (index, validated item) pairs and the source label -> report
    key: str  # the natural key, for the docs
    summary: str
    prepare: Callable[[Sequence[tuple[int, Any]], str], Any] | None = None
    store_prepared: Callable[[Any], StoreReport] | None = None


@dataclass
class BatchOutcome:
    received: int
    accepted: list[int]
    rejected: list[Rejection]
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return len(self.accepted) - self.created - self.updated

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer (see `schemas.batch.BatchResult`)."""
        return {
            "counts": {
                "received": self.received,
                "accepted": len(self.accepted),
                "rejected": len({r.index for r in self.rejected}),
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
            },
            "accepted": self.accepted,
            "rejected": [
                {"index": r.index, "field": r.field, "reason": r.reason} for r in self.rejected
            ],
        }


@cache
def _list_adapter(schema: type[ItemIn]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[schema])  # type: ignore[valid-type]


def _reason(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _field(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


def _nul_path(value: Any, path: str = "") -> str | None:
    """Where a NUL character hides in a JSON value (PostgreSQL cannot store one), if anywhere."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = _nul_path(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found = _nul_path(item, f"{path}.{position}" if path else str(position))
            if found is not None:
                return found
    return None


def items_validate(
    schema: type[ItemIn], items: Sequence[Any], *, may_hold_nul: bool = True
) -> tuple[list[tuple[int, Any]], list[Rejection]]:
    """Validate each item on its own: (index, item) pairs that passed, and the rejections."""
    context = validation_context()
    rejected: list[Rejection] = []
    candidates: list[int] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            rejected.append(Rejection(index, "", "must be a JSON object"))
            continue
        # Before anything recurses into it: a value nested hundreds of levels deep would
        # break every page that shows it, and Python's JSON printer when storing it.
        too_big = json_shape_problem(item)
        if too_big is not None:
            rejected.append(Rejection(index, *too_big))
            continue
        if may_hold_nul:
            where = _nul_path(item)
            if where is not None:
                rejected.append(Rejection(index, where, "must not contain a NUL character"))
                continue
        candidates.append(index)
    if not rejected:
        # The fast path: a slice of items in one call; items are checked one by one only when
        # some of them fail. Slices keep each call short: a long one holds the GIL, stalling
        # the import's other thread.
        models: list[Any] = []
        try:
            for start in range(0, len(items), _SLICE):
                models += _list_adapter(schema).validate_python(
                    items[start : start + _SLICE], context=context
                )
        except ValidationError:
            pass
        else:
            return list(enumerate(models)), []
    valid: list[tuple[int, Any]] = []
    for index in candidates:
        try:
            valid.append((index, schema.model_validate(items[index], context=context)))
        except ValidationError as exc:
            rejected.extend(
                Rejection(index, _field(error["loc"]), _reason(error)) for error in exc.errors()
            )
    rejected.sort(key=lambda r: r.index)
    return valid, rejected


@dataclass
class Validated:
    """A batch after validation (and the kind's `prepare`), before storage."""

    received: int
    valid: list[tuple[int, Any]]
    rejected: list[Rejection]
    prepared: Any = None

    def slim(self) -> "Validated":
        """The same batch without the validated items, once prepared (cheap to send)."""
        if self.prepared is None:
            return self
        return Validated(
            self.received, [(i, None) for i, _ in self.valid], self.rejected, self.prepared
        )


def batch_validate(
    kind: Kind, items: Sequence[Any], *, source: str, may_hold_nul: bool = True
) -> Validated:
    """Validate (and prepare) a batch without touching the database."""
    valid, rejected = items_validate(kind.schema, items, may_hold_nul=may_hold_nul)
    prepared = kind.prepare(valid, source) if kind.prepare is not None and valid else None
    return Validated(len(items), valid, rejected, prepared)


def batch_store(kind: Kind, batch: Validated, *, source: str) -> BatchOutcome:
    """Store the valid items of a validated batch."""
    report = _store(kind, batch, source) if batch.valid else StoreReport()
    refused = {r.index for r in report.rejected}
    rejected = batch.rejected
    if report.rejected:
        rejected = sorted(rejected + report.rejected, key=lambda r: r.index)
    return BatchOutcome(
        received=batch.received,
        accepted=[index for index, _ in batch.valid if index not in refused],
        rejected=rejected,
        created=report.created,
        updated=report.updated,
    )


def batch_ingest(
    kind: Kind, items: Sequence[Any], *, source: str, may_hold_nul: bool = True
) -> BatchOutcome:
    """Validate and store one batch of items of a kind; each item stands or falls alone."""
    batch = batch_validate(kind, items, source=source, may_hold_nul=may_hold_nul)
    return batch_store(kind, batch, source=source)


def _store(kind: Kind, batch: Validated, source: str) -> StoreReport:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            if batch.prepared is not None and kind.store_prepared is not None:
                return kind.store_prepared(batch.prepared)
            return kind.store(batch.valid, source)
        except OperationalError as exc:
            transient = getattr(exc.__cause__, "sqlstate", None) in _TRANSIENT_SQLSTATES
            if not transient or attempt == _ATTEMPTS or connection.in_atomic_block:
                raise
    raise AssertionError("unreachable")
