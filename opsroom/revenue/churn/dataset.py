"""Who was a paying customer on a day, what was known about them then, and whether they churned
in the following window: the rows the churn model learns from and is judged on.

Everything comes from the MRR ledger (so "churn" is exactly the overview's churn: a customer's
MRR going to 0) and from the point-in-time signals, so any history imported through the
documented formats works, not only the demo world.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt
from django.db.models import Sum

from opsroom.people.signals import signals_as_of
from opsroom.revenue.models import MrrMovement

_CHUNK = 2000


@dataclass(frozen=True)
class Snapshot:
    """Paying customers at the start of a day, their signals, and (when known) their label."""

    day: date
    person_ids: list[int]
    signals: list[dict[str, float]]
    mrr: list[int]
    churned: npt.NDArray[np.int_] | None  # 1: churned within the horizon from `day`

    @property
    def as_of(self) -> datetime:
        return datetime.combine(self.day, time.min, tzinfo=UTC)


def customers_paying_on(*, day: date) -> dict[int, int]:
    """Each customer paying at the start of a day (the end of the day before), with their MRR."""
    rows = (
        MrrMovement.objects.filter(day__lt=day, amount__isnull=False)
        .values("person_id")
        .annotate(mrr=Sum("amount"))
        .filter(mrr__gt=0)
        .values_list("person_id", "mrr")
    )
    return dict(rows.iterator(chunk_size=10000))


def churned_within(*, person_ids: list[int], start: date, days: int) -> set[int]:
    """Who of these churned (MRR to 0) on a day from `start` for `days` days."""
    churned: set[int] = set()
    for first in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[first : first + _CHUNK]
        churned.update(
            MrrMovement.objects.filter(
                person_id__in=chunk,
                kind=MrrMovement.Kind.CHURN,
                day__gte=start,
                day__lt=start + timedelta(days=days),
            ).values_list("person_id", flat=True)
        )
    return churned


def snapshot_build(*, day: date, horizon_days: int, labelled: bool) -> Snapshot:
    """The paying customers at the start of a day with their signals (and labels)."""
    paying = customers_paying_on(day=day)
    person_ids = sorted(paying)
    as_of = datetime.combine(day, time.min, tzinfo=UTC)
    signals = signals_as_of(person_ids=person_ids, as_of=as_of)
    churned = None
    if labelled:
        lost = churned_within(person_ids=person_ids, start=day, days=horizon_days)
        churned = np.array([1 if person_id in lost else 0 for person_id in person_ids], dtype=int)
    return Snapshot(
        day=day,
        person_ids=person_ids,
        signals=[signals[person_id] for person_id in person_ids],
        mrr=[paying[person_id] for person_id in person_ids],
        churned=churned,
    )


def labelled_days(*, until: date, horizon_days: int, count: int, step_days: int) -> list[date]:
    """Up to `count` days, `step_days` apart, whose churn window had closed by `until`
    (oldest first)."""
    last = until - timedelta(days=horizon_days)
    first_movement = MrrMovement.objects.order_by("day").values_list("day", flat=True).first()
    if first_movement is None:
        return []
    days: list[date] = []
    day = last
    # The first days of the ledger have no paying customers yet: start a step after it.
    while day > first_movement and len(days) < count:
        days.append(day)
        day -= timedelta(days=step_days)
    return sorted(days)
