"""How the ledger recomputes: customers' movements from the change log, the daily snapshots
and the monthly segments from the movements, and the overview."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from opsroom.core import clock
from opsroom.people.models import Person
from opsroom.revenue.metrics.ledger import (
    CustomerFacts,
    Rates,
    changes_by_person,
    customer_movements,
    interval_label,
)
from opsroom.revenue.models import (
    LedgerState,
    MrrDay,
    MrrDirty,
    MrrMovement,
    MrrSegmentMonth,
    Plan,
    Subscription,
    SubscriptionChange,
)

_CHUNK = 500
_INSERT_BATCH = 2000
Kind = MrrMovement.Kind
MOVEMENT_KINDS: tuple[str, ...] = ("new", "expansion", "contraction", "churn", "reactivation")


_CHANGE_FIELDS = ("person_id", "subscription_id", "occurred_at", "mrr_after", "currency", "to_plan")


def _headline() -> str:
    return str(settings.OPSROOM_CURRENCY)


class _Context:
    """What the ledger reads besides the change log: plan codes, billing intervals, and each
    customer's acquisition channel and country."""

    def __init__(
        self,
        plan_codes: dict[int, str],
        intervals: dict[int, str],
        customers: dict[int, CustomerFacts],
    ) -> None:
        self.plan_codes = plan_codes
        self.intervals = intervals
        self.customers = customers

    @classmethod
    def load(cls) -> "_Context":
        plan_codes = dict(Plan.objects.values_list("id", "code"))
        intervals = {
            sub_id: interval_label(interval, count)
            for sub_id, interval, count in Subscription.objects.values_list(
                "id", "interval", "interval_count"
            ).iterator(chunk_size=10000)
        }
        key = settings.OPSROOM_REVENUE_COUNTRY_ATTRIBUTE
        customers = {
            person_id: CustomerFacts(
                person_id=person_id,
                channel=(channel or "")[:64],
                country=("" if country is None else str(country))[:64],
            )
            for person_id, channel, country in Person.objects.filter(
                id__in=SubscriptionChange.objects.values("person_id")
            )
            .values_list("id", "acquisition_channel", f"attributes__{key}")
            .iterator(chunk_size=10000)
        }
        return cls(plan_codes, intervals, customers)

    def customer(self, person_id: int) -> CustomerFacts:
        return self.customers.get(person_id) or CustomerFacts(person_id, "", "")


def _recompute(
    person_ids: Sequence[int], *, rates: Rates, context: _Context
) -> dict[int, list[MrrMovement]]:
    rows = (
        SubscriptionChange.objects.filter(person_id__in=person_ids)
        .order_by("person_id", "occurred_at", "id")
        .values_list(*_CHANGE_FIELDS)
    )
    return {
        person_id: customer_movements(
            customer=context.customer(person_id),
            changes=changes,
            intervals=context.intervals,
            rates=rates,
        )
        for person_id, changes in changes_by_person(rows, context.plan_codes)
    }


_COMPARED = (
    "day",
    "subscription_id",
    "kind",
    "amount",
    "native_amount",
    "currency",
    "customer_delta",
    "subscription_delta",
    "customer_mrr_before",
    "customer_mrr_after",
    "plan_code",
    "interval",
    "channel",
    "country",
)


def _stored_rows(person_ids: Sequence[int]) -> dict[int, list[tuple[Any, ...]]]:
    stored: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    rows = (
        MrrMovement.objects.filter(person_id__in=person_ids)
        .order_by("person_id", "day", "id")
        .values_list("person_id", *_COMPARED)
    )
    for person_id, *values in rows:
        stored[person_id].append(tuple(values))
    return stored


def _first_difference(stored: list[tuple[Any, ...]], fresh: list[MrrMovement]) -> date | None:
    """The first day on which two versions of a customer's ledger differ (None: the same)."""
    fresh_rows = [tuple(getattr(row, name) for name in _COMPARED) for row in fresh]
    for old, new in zip(stored, fresh_rows, strict=False):
        if old != new:
            first: date = min(old[0], new[0])
            return first
    if len(stored) == len(fresh_rows):
        return None
    longer = stored if len(stored) > len(fresh_rows) else fresh_rows
    day: date = longer[min(len(stored), len(fresh_rows))][0]
    return day


def _marks_clear(chunk: Sequence[tuple[int, str]]) -> None:
    """Clear the marks read, unless a write has marked the person again since."""
    by_token: dict[str, list[int]] = defaultdict(list)
    for person_id, token in chunk:
        by_token[token].append(person_id)
    for token, person_ids in by_token.items():
        MrrDirty.objects.filter(token=token, person_id__in=person_ids).delete()


def _days_rebuild(*, from_day: date, through: date) -> None:
    """Rewrite the daily snapshots from a day on: the previous day's plus each day's rows."""
    previous = MrrDay.objects.filter(day__lt=from_day).order_by("-day").first()
    amount = {kind: Sum("amount", filter=Q(kind=kind)) for kind in MOVEMENT_KINDS}
    rows = (
        MrrMovement.objects.filter(day__gte=from_day, day__lte=through)
        .values("day")
        .annotate(
            total=Sum("amount"),
            customers=Sum("customer_delta"),
            subscriptions=Sum("subscription_delta"),
            new_customers=Sum("customer_delta", filter=Q(kind=Kind.NEW)),
            reactivated_customers=Sum("customer_delta", filter=Q(kind=Kind.REACTIVATION)),
            churned_customers=Sum("customer_delta", filter=Q(kind=Kind.CHURN)),
            unconverted=Count("id", filter=Q(amount__isnull=True)),
            **amount,
        )
    )
    by_day = {row["day"]: row for row in rows}
    MrrDay.objects.filter(day__gte=from_day).delete()
    if previous is None and not by_day:
        return
    if previous is None:
        from_day = min(by_day)
    mrr = previous.mrr if previous else 0
    customers = previous.customers if previous else 0
    subscriptions = previous.subscriptions if previous else 0
    currency = _headline()
    days: list[MrrDay] = []
    day = from_day
    while day <= through:
        row = by_day.get(day, {})
        mrr += row.get("total") or 0
        customers += row.get("customers") or 0
        subscriptions += row.get("subscriptions") or 0
        days.append(
            MrrDay(
                day=day,
                currency=currency,
                mrr=mrr,
                customers=customers,
                subscriptions=subscriptions,
                new_customers=row.get("new_customers") or 0,
                reactivated_customers=row.get("reactivated_customers") or 0,
                churned_customers=-(row.get("churned_customers") or 0),
                unconverted=row.get("unconverted") or 0,
                **{kind: row.get(kind) or 0 for kind in MOVEMENT_KINDS},
            )
        )
        day += timedelta(days=1)
    MrrDay.objects.bulk_create(days, batch_size=_INSERT_BATCH)


_SEGMENT_FIELDS = {
    MrrSegmentMonth.Dimension.PLAN: ("plan_code", "subscription_delta"),
    MrrSegmentMonth.Dimension.INTERVAL: ("interval", "subscription_delta"),
    MrrSegmentMonth.Dimension.CHANNEL: ("channel", "customer_delta"),
    MrrSegmentMonth.Dimension.COUNTRY: ("country", "customer_delta"),
}


def _segments_rebuild(*, from_day: date, through: date) -> None:
    """Rewrite the month-end segments from `from_day`'s month on."""
    first_month = from_day.replace(day=1)
    months = _months(first_month, through)
    previous_month = (first_month - timedelta(days=1)).replace(day=1)
    MrrSegmentMonth.objects.filter(month__gte=first_month).delete()
    amount = {kind: Sum("amount", filter=Q(kind=kind)) for kind in MOVEMENT_KINDS}
    segments: list[MrrSegmentMonth] = []
    for dimension, (column, counter) in _SEGMENT_FIELDS.items():
        running = {
            key: (mrr, count)
            for key, mrr, count in MrrSegmentMonth.objects.filter(
                month=previous_month, dimension=dimension
            ).values_list("key", "mrr", "count")
        }
        rows = (
            MrrMovement.objects.filter(day__gte=first_month, day__lte=through)
            .annotate(month=TruncMonth("day"))
            .values("month", column)
            .annotate(total=Sum("amount"), count=Sum(counter), **amount)
        )
        by_month: dict[date, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            month = row["month"]
            by_month[month.date() if isinstance(month, datetime) else month].append(row)
        for month in months:
            moved = {row[column]: row for row in by_month.get(month, [])}
            for key in sorted(set(running) | set(moved)):
                row = moved.get(key, {})
                mrr, count = running.get(key, (0, 0))
                mrr += row.get("total") or 0
                count += row.get("count") or 0
                running[key] = (mrr, count)
                if not mrr and not count and not row:
                    continue
                segments.append(
                    MrrSegmentMonth(
                        month=month,
                        dimension=dimension,
                        key=key,
                        mrr=mrr,
                        count=count,
                        **{kind: row.get(kind) or 0 for kind in MOVEMENT_KINDS},
                    )
                )
    MrrSegmentMonth.objects.bulk_create(segments, batch_size=_INSERT_BATCH)


def _months(first: date, through: date) -> list[date]:
    months, month = [], first
    while month <= through:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _state_save(state: LedgerState, *, through: date, rebuilt: bool, seconds: float) -> None:
    state.currency = _headline()
    state.built_through = through
    state.updated_at = clock.now()
    state.last_seconds = round(seconds, 3)
    state.save()


def _overview_refresh(today: date) -> None:
    from opsroom.revenue.metrics.overview import overview_compute

    overview_compute(day=today)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
