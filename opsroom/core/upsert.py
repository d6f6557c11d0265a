"""Batch upsert by natural key: the storage step every owning app's write services share.

Re-sending the same rows changes nothing: a row is written only when a value differs, and
`updated_at` moves only then. Rows carry only the fields they set, so a partial record (a
placeholder filled in later) updates just those fields.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models

from opsroom.core import clock

M = TypeVar("M", bound=models.Model)
Row = dict[str, Any]
# Decides, for an existing instance and an incoming row, whether the row may overwrite it.
Guard = Callable[[Any, Row], bool]
# Completes a row from the instance it will update (None when new): merges, derived fields.
Prepare = Callable[[Any, Row], Row]

_CHUNK = 500


@dataclass
class UpsertResult(Generic[M]):
    created: list[M] = field(default_factory=list)
    updated: list[M] = field(default_factory=list)
    unchanged: list[M] = field(default_factory=list)
    stale: list[M] = field(default_factory=list)
    # Values before the update, for each updated instance's key: {key: {field: old value}}.
    previous: dict[Any, Row] = field(default_factory=dict)
    by_key: dict[Any, M] = field(default_factory=dict)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def instances_by_key(model: type[M], key_field: str, keys: Sequence[Any]) -> dict[Any, M]:
    """Load instances whose natural key is in `keys`."""
    found: dict[Any, M] = {}
    for chunk in _chunks(keys):
        for instance in model._default_manager.filter(**{f"{key_field}__in": chunk}):
            found[getattr(instance, key_field)] = instance
    return found


def _normalise(model: type[models.Model], row: Row) -> Row:
    normal = {}
    for name, value in row.items():
        model_field = model._meta.get_field(name)
        if value is not None and isinstance(
            model_field, models.DecimalField | models.IntegerField | models.FloatField
        ):
            value = model_field.to_python(value)
        normal[name] = value
    return normal


def rows_upsert(
    model: type[M],
    *,
    key_field: str,
    rows: Sequence[Row],
    guard: Guard | None = None,
    prepare: Prepare | None = None,
) -> UpsertResult[M]:
    """Insert new rows and update changed ones; rows must hold `key_field`.

    Within one batch a later row for the same key wins. `guard(existing, row)` returning False
    leaves the existing instance as it is (reported as stale), e.g. when the row is older.
    `prepare(existing or None, row)` returns the row to write, e.g. with merged or derived values.
    """
    latest: dict[Any, Row] = {}
    for row in rows:
        latest[row[key_field]] = row
    keys = list(latest)
    existing = instances_by_key(model, key_field, keys)
    for key, row in latest.items():
        if prepare is not None:
            row = prepare(existing.get(key), row)
        latest[key] = _normalise(model, row)
    has_updated_at = any(f.name == "updated_at" for f in model._meta.concrete_fields)
    now = clock.now()

    result: UpsertResult[M] = UpsertResult()
    new_keys = [key for key in keys if key not in existing]
    if new_keys:
        fresh = []
        for key in new_keys:
            values = dict(latest[key])
            if has_updated_at:
                values.setdefault("updated_at", now)
            fresh.append(model(**values))
        # Another writer may insert the same key meanwhile: skip it here, then treat it below
        # as an existing row, so its values are compared and updated like any other.
        model._default_manager.bulk_create(fresh, ignore_conflicts=True, batch_size=_CHUNK)
        inserted = instances_by_key(model, key_field, new_keys)
        for key, instance in inserted.items():
            if all(getattr(instance, name) == value for name, value in latest[key].items()):
                result.created.append(instance)
                result.by_key[key] = instance
            else:
                existing[key] = instance

    changed_fields: set[str] = set()
    for key, instance in existing.items():
        if key in result.by_key:
            continue
        result.by_key[key] = instance
        row = latest[key]
        if guard is not None and not guard(instance, row):
            result.stale.append(instance)
            continue
        diff = {name: value for name, value in row.items() if getattr(instance, name) != value}
        if not diff:
            result.unchanged.append(instance)
            continue
        result.previous[key] = {name: getattr(instance, name) for name in diff}
        for name, value in diff.items():
            setattr(instance, name, value)
        if has_updated_at:
            instance.updated_at = now  # type: ignore[attr-defined]
            diff["updated_at"] = now
        changed_fields.update(diff)
        result.updated.append(instance)
    if result.updated:
        model._default_manager.bulk_update(
            result.updated, sorted(changed_fields), batch_size=_CHUNK
        )
    return result
