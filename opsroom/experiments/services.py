"""Writes of feature flags, experiments and exposures."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from opsroom.core.errors import InvalidInput
from opsroom.core.upsert import Row, UpsertResult, rows_upsert
from opsroom.experiments.evaluation import OPERATORS
from opsroom.experiments.models import Experiment, Exposure, FeatureFlag


def _flag_check(current: FeatureFlag | None, row: Row) -> Row:
    if not 0 <= int(row.get("rollout_percent", 0)) <= 100:
        raise InvalidInput("rollout_percent is between 0 and 100")
    for rule in row.get("rules", []):
        if rule.get("op", "eq") not in OPERATORS:
            raise InvalidInput(f"unknown rule operator {rule.get('op')!r}")
    return row


def flag_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[FeatureFlag]:
    """Create or update flags by key."""
    return rows_upsert(FeatureFlag, key_field="key", rows=rows, prepare=_flag_check)


def flag_ids_ensure(*, keys: Sequence[str]) -> dict[str, int]:
    """Map flag keys to ids, creating flags (switched on, 0% rollout) for unknown keys."""
    wanted = sorted(set(keys))
    FeatureFlag.objects.bulk_create(
        [FeatureFlag(key=key, name=key) for key in wanted], ignore_conflicts=True
    )
    return dict(FeatureFlag.objects.filter(key__in=wanted).values_list("key", "id"))


def experiment_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[Experiment]:
    """Create or update experiments by key (rows name their flag by `flag_id`)."""
    return rows_upsert(Experiment, key_field="key", rows=rows)


@transaction.atomic
def exposure_record_many(*, rows: Sequence[tuple[int, int, str, datetime]]) -> None:
    """Record served variants as (person id, flag id, variant, time); first/last times widen."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(Exposure._meta.db_table)
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    merged: dict[tuple[int, int, str], list[datetime]] = {}
    for person_id, flag_id, variant, at in rows:
        key = (person_id, flag_id, variant)
        if key in merged:
            merged[key] = [min(merged[key][0], at), max(merged[key][1], at)]
        else:
            merged[key] = [at, at]
    items = sorted(merged.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        params: list[Any] = []
        for (person_id, flag_id, variant), (first, last) in chunk:
            params += [
                person_id,
                flag_id,
                variant,
                ops.adapt_datetimefield_value(first),
                ops.adapt_datetimefield_value(last),
            ]
        placeholders = ",".join(["(%s,%s,%s,%s,%s)"] * len(chunk))
        sql = (  # only quoted table names and placeholders are interpolated
            f"INSERT INTO {table} (person_id, flag_id, variant, first_exposed_at, "  # noqa: S608
            f"last_exposed_at) VALUES {placeholders} "
            f"ON CONFLICT (person_id, flag_id, variant) DO UPDATE SET "
            f"first_exposed_at = {least}({table}.first_exposed_at, excluded.first_exposed_at), "
            f"last_exposed_at = {greatest}({table}.last_exposed_at, excluded.last_exposed_at)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
