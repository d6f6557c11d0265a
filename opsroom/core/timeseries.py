"""A table's rows counted (or a column averaged) per hour or per day, for metric series."""

from datetime import UTC, datetime
from typing import Any, Literal

from django.db.models import Aggregate, Count, QuerySet
from django.db.models.functions import TruncDay, TruncHour

Step = Literal["hour", "day"]


def per_bucket(
    queryset: "QuerySet[Any]",
    *,
    field: str,
    step: Step,
    since: datetime,
    until: datetime,
    value: Aggregate | None = None,
    by: str | None = None,
) -> dict[tuple[str, datetime], float]:
    """{(group, bucket start): value} of rows with `field` in [since, until); group is "" unless
    `by` names a column. Buckets without rows are absent."""
    trunc = TruncHour if step == "hour" else TruncDay
    rows = (
        queryset.filter(**{f"{field}__gte": since, f"{field}__lt": until})
        .annotate(bucket=trunc(field, tzinfo=UTC))
        .values(*(["bucket", by] if by else ["bucket"]))
        .annotate(value=value if value is not None else Count("pk"))
        .order_by()
    )
    out: dict[tuple[str, datetime], float] = {}
    for row in rows:
        if row["value"] is None:
            continue
        bucket = row["bucket"]
        if isinstance(bucket, datetime) and bucket.tzinfo is None:
            bucket = bucket.replace(tzinfo=UTC)
        out[(str(row[by]) if by else "", bucket)] = float(row["value"])
    return out
