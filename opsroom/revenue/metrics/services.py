"""Writes of the MRR ledger: marks on write, the incremental update, the rebuild from scratch,
discounts that run out, and exchange rates. docs/revenue.md has the rules."""

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.models import Person
from opsroom.revenue.metrics.ledger import (
    CustomerFacts,
    Rates,
    changes_by_person,
    customer_movements,
    interval_label,
)
from opsroom.revenue.metrics.selectors import rates_load
from opsroom.revenue.models import (
    ExchangeRate,
    LedgerState,
    MrrDay,
    MrrDirty,
    MrrMovement,
    MrrSegmentMonth,
    Plan,
    RevenueSettings,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.mrr import mrr_counts_status, subscription_mrr

_CHUNK = 500
_INSERT_BATCH = 2000
Kind = MrrMovement.Kind
MOVEMENT_KINDS: tuple[str, ...] = ("new", "expansion", "contraction", "churn", "reactivation")


@dataclass(frozen=True)
class LedgerRun:
    rebuilt: bool
    people: int  # customers whose ledger was (re)computed
    movements: int  # rows written
    from_day: date | None  # the first day whose snapshot changed
    through: date | None
    discounts_ended: int
    seconds: float


def mrr_dirty_mark(*, person_ids: Iterable[int]) -> None:
    """Mark people whose subscription changes the ledger has yet to take in (called inside the
    transaction that writes the changes)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    token = uuid4().hex
    MrrDirty.objects.bulk_create(
        [MrrDirty(person_id=person_id, token=token) for person_id in ids],
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=["token"],
        batch_size=_CHUNK,
    )


def ledger_state_get() -> LedgerState:
    """The ledger's one state row (created as 'needs a rebuild')."""
    state, _ = LedgerState.objects.get_or_create(
        pk=1, defaults={"currency": settings.OPSROOM_CURRENCY, "needs_rebuild": True}
    )
    return state


@transaction.atomic
def ledger_rebuild_request() -> None:
    """Make the next update a rebuild (after exchange rates or the rules changed)."""
    ledger_state_get()
    LedgerState.objects.filter(pk=1).update(needs_rebuild=True)


@transaction.atomic
def subscription_discounts_expire(*, now: datetime) -> int:
    """Write the MRR rise of every subscription whose discount ran out by `now` and whose MRR
    still carries it (the provider may tell us only at the next renewal, or never)."""
    rows = (
        Subscription.objects.filter(discount_ends_at__lte=now)
        .filter(Q(discount_percent__gt=0) | Q(discount_amount__gt=0))
        .values_list(
            "id",
            "status",
            "amount",
            "quantity",
            "interval",
            "interval_count",
            "discount_percent",
            "discount_amount",
            "discount_ends_at",
            "mrr_amount",
        )
    )
    due: list[tuple[int, int, int]] = []
    for sub_id, status, amount, quantity, interval, count, percent, off, ends, held in rows:
        if not mrr_counts_status(status):
            continue
        full = subscription_mrr(
            status=status,
            amount=amount,
            quantity=quantity,
            interval=interval,
            interval_count=count,
            discount_percent=percent,
            discount_amount=off,
            discount_ends_at=ends,
            at=now,
        )
        if full != held:
            due.append((sub_id, held, full))
    if not due:
        return 0
    subscriptions = Subscription.objects.in_bulk([sub_id for sub_id, _, _ in due])
    latest = dict(
        SubscriptionChange.objects.filter(subscription_id__in=list(subscriptions))
        .values("subscription_id")
        .annotate(last=Max("occurred_at"))
        .values_list("subscription_id", "last")
    )
    changes = []
    for sub_id, held, full in due:
        subscription = subscriptions[sub_id]
        ends = subscription.discount_ends_at or now
        last = latest.get(sub_id)
        changes.append(
            SubscriptionChange(
                subscription=subscription,
                person_id=subscription.person_id,
                occurred_at=max(ends, last) if last else ends,
                kind=SubscriptionChange.Kind.DISCOUNT_ENDED,
                from_status=subscription.status,
                to_status=subscription.status,
                from_plan_id=subscription.plan_id,
                to_plan_id=subscription.plan_id,
                mrr_before=held,
                mrr_after=full,
                currency=subscription.currency,
            )
        )
        Subscription.objects.filter(pk=sub_id).update(mrr_amount=full)
    SubscriptionChange.objects.bulk_create(changes, batch_size=_CHUNK)
    mrr_dirty_mark(person_ids=[change.person_id for change in changes])
    return len(changes)


def mrr_ledger_update(*, now: datetime | None = None) -> LedgerRun:
    """Take in the changes written since the last run (a rebuild when one is due) and bring the
    daily snapshots, the month segments and today's overview up to date. Idempotent."""
    started = time.monotonic()
    now = now or clock.now()
    ended = subscription_discounts_expire(now=now)
    state = ledger_state_get()
    if state.needs_rebuild or state.built_through is None or state.currency != _headline():
        return _rebuild(now=now, started=started, discounts_ended=ended)
    today = now.date()
    marks = list(MrrDirty.objects.values_list("person_id", "token"))
    with transaction.atomic():
        rates, context = rates_load(), _Context.load()
        changed_from: date | None = None
        written = 0
        for chunk in _chunks(marks):
            person_ids = [person_id for person_id, _ in chunk]
            stored = _stored_rows(person_ids)
            fresh = _recompute(person_ids, rates=rates, context=context)
            for person_id in person_ids:
                first = _first_difference(stored.get(person_id, []), fresh.get(person_id, []))
                if first is not None and (changed_from is None or first < changed_from):
                    changed_from = first
            MrrMovement.objects.filter(person_id__in=person_ids).delete()
            new_rows = [row for rows in fresh.values() for row in rows]
            MrrMovement.objects.bulk_create(new_rows, batch_size=_INSERT_BATCH)
            written += len(new_rows)
            _marks_clear(chunk)
        from_day = state.built_through + timedelta(days=1)
        if changed_from is not None:
            from_day = min(from_day, changed_from)
        through = max(today, state.built_through)
        if from_day <= through:
            _days_rebuild(from_day=from_day, through=through)
            _segments_rebuild(from_day=from_day, through=through)
        _state_save(state, through=through, rebuilt=False, seconds=time.monotonic() - started)
    _overview_refresh(today)
    return LedgerRun(
        rebuilt=False,
        people=len(marks),
        movements=written,
        from_day=from_day if from_day <= through else None,
        through=through,
        discounts_ended=ended,
        seconds=time.monotonic() - started,
    )


def mrr_ledger_rebuild(
    *, now: datetime | None = None, audit: AuditContext | None = None
) -> LedgerRun:
    """Recompute the whole ledger, the snapshots and the segments from the change log (a
    staff request is audited)."""
    started = time.monotonic()
    now = now or clock.now()
    ended = subscription_discounts_expire(now=now)
    run = _rebuild(now=now, started=started, discounts_ended=ended)
    if audit is not None:
        audit_record(
            audit,
            action="revenue.ledger_rebuild",
            target_type="revenue.ledgerstate",
            target_id="1",
            target_label="MRR ledger",
            params={"movements": run.movements, "seconds": round(run.seconds, 2)},
        )
    return run


def _rebuild(*, now: datetime, started: float, discounts_ended: int) -> LedgerRun:
    today = now.date()
    marks = list(MrrDirty.objects.values_list("person_id", "token"))
    with transaction.atomic():
        state = LedgerState.objects.select_for_update().get(pk=ledger_state_get().pk)
        MrrMovement.objects.all().delete()
        rates, context = rates_load(), _Context.load()
        stream = (
            SubscriptionChange.objects.order_by("person_id", "occurred_at", "id")
            .values_list(*_CHANGE_FIELDS)
            .iterator(chunk_size=10000)
        )
        batch: list[MrrMovement] = []
        written = people = 0
        for person_id, changes in changes_by_person(stream, context.plan_codes):
            people += 1
            batch.extend(
                customer_movements(
                    customer=context.customer(person_id),
                    changes=changes,
                    intervals=context.intervals,
                    rates=rates,
                )
            )
            if len(batch) >= _INSERT_BATCH * 5:
                MrrMovement.objects.bulk_create(batch, batch_size=_INSERT_BATCH)
                written += len(batch)
                batch = []
        MrrMovement.objects.bulk_create(batch, batch_size=_INSERT_BATCH)
        written += len(batch)
        first = MrrMovement.objects.order_by("day").values_list("day", flat=True).first()
        MrrDay.objects.all().delete()
        MrrSegmentMonth.objects.all().delete()
        if first is not None:
            _days_rebuild(from_day=first, through=max(today, first))
            _segments_rebuild(from_day=first, through=max(today, first))
        for chunk in _chunks(marks):
            _marks_clear(chunk)
        state.needs_rebuild = False
        state.rebuilt_at = clock.now()
        _state_save(state, through=today, rebuilt=True, seconds=time.monotonic() - started)
    _overview_refresh(today)
    return LedgerRun(
        rebuilt=True,
        people=people,
        movements=written,
        from_day=first,
        through=today,
        discounts_ended=discounts_ended,
        seconds=time.monotonic() - started,
    )


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


@dataclass(frozen=True)
class RateRow:
    currency: str
    day: date
    rate: str | Decimal
    source: str = ""


@transaction.atomic
def exchange_rate_record_many(*, rows: Sequence[RateRow], audit: AuditContext | None) -> int:
    """Record exchange rates into the headline currency (a later row for a day replaces it) and
    have the ledger rebuilt with them; return how many were written."""
    headline = _headline()
    for row in rows:
        currency = row.currency.strip().lower()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"'{row.currency}' is not a three-letter currency code.")
        if currency == headline:
            raise InvalidInput(f"{currency.upper()} is the headline currency: its rate is 1.")
        try:
            rate = Decimal(str(row.rate))
        except InvalidOperation:
            raise InvalidInput(f"'{row.rate}' is not a number.") from None
        if not rate.is_finite() or rate <= 0 or rate >= Decimal(10) ** 10:
            raise InvalidInput(f"A rate must be a positive number (got {row.rate}).")
        ExchangeRate.objects.update_or_create(
            currency=currency,
            day=row.day,
            defaults={"rate": rate, "source": row.source[:64], "updated_at": clock.now()},
        )
        if audit is not None:
            audit_record(
                audit,
                action="revenue.exchange_rate_set",
                target_type="revenue.exchangerate",
                target_id=f"{currency}:{row.day}",
                target_label=f"{currency.upper()} on {row.day}",
                params={"currency": currency, "day": f"{row.day}", "rate": str(rate)},
            )
    if rows:
        ledger_rebuild_request()
    return len(rows)


@transaction.atomic
def revenue_settings_update(
    *, growth_target_percent: Decimal, ltv_cac_healthy: Decimal, audit: AuditContext
) -> RevenueSettings:
    """Set the MRR growth target and the healthy LTV:CAC, and audit it."""
    if not Decimal(-100) <= growth_target_percent <= Decimal(1000):
        raise InvalidInput("The growth target is a percentage between -100 and 1000.")
    if not Decimal(0) < ltv_cac_healthy <= Decimal(100):
        raise InvalidInput("A healthy LTV:CAC is a ratio above 0 and at most 100.")
    config, _ = RevenueSettings.objects.get_or_create(pk=1)
    before = {
        "growth_target_percent": str(config.growth_target_percent),
        "ltv_cac_healthy": str(config.ltv_cac_healthy),
    }
    config.growth_target_percent = growth_target_percent.quantize(Decimal("0.01"))
    config.ltv_cac_healthy = ltv_cac_healthy.quantize(Decimal("0.01"))
    config.updated_at = clock.now()
    config.save()
    audit_record(
        audit,
        action="revenue.settings_update",
        target=config,
        params={
            "before": before,
            "growth_target_percent": str(config.growth_target_percent),
            "ltv_cac_healthy": str(config.ltv_cac_healthy),
        },
    )
    overview_day = clock.now().date()
    if MrrDay.objects.exists():
        _overview_refresh(overview_day)
    return config
