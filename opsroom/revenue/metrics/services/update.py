"""Writes of the MRR ledger: marks on write, the incremental update, the rebuild from scratch,
and discounts that run out. docs/revenue.md has the rules."""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from opsroom.core import clock
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.revenue.metrics.ledger import (
    changes_by_person,
    customer_movements,
)
from opsroom.revenue.metrics.selectors import rates_load
from opsroom.revenue.metrics.services.recompute import (
    _CHANGE_FIELDS,
    _CHUNK,
    _INSERT_BATCH,
    _chunks,
    _Context,
    _days_rebuild,
    _first_difference,
    _headline,
    _marks_clear,
    _overview_refresh,
    _recompute,
    _segments_rebuild,
    _state_save,
    _stored_rows,
)
from opsroom.revenue.models import (
    LedgerState,
    MrrDay,
    MrrDirty,
    MrrMovement,
    MrrSegmentMonth,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.mrr import mrr_counts_status, subscription_mrr


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
