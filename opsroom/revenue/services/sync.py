"""Writes of plans, billing customers, subscriptions (with their change log), invoices and
payments, from the provider or the batch API.

Rows name related records by id (`person_id`, `plan_id`, `subscription_id`, `invoice_id`);
callers resolve natural keys first (`plan_ids_by_price`, `subscription_ids_by_provider_id`...).
A row carrying `source_updated_at` older than the state held is ignored (reported as stale).
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from opsroom.core import clock
from opsroom.core.upsert import Guard, Row, UpsertResult, rows_upsert
from opsroom.revenue.metrics.services import mrr_dirty_mark
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.mrr import subscription_mrr

_LIVE = {"trialing", "active", "past_due", "unpaid", "paused"}
_ENDED = {"canceled", "incomplete_expired"}


def _newer_or_same(existing: Any, row: Row) -> bool:
    incoming = row.get("source_updated_at")
    held = existing.source_updated_at
    return incoming is None or held is None or incoming >= held


# For states stamped with the same time (a provider sends several events within one second),
# the order a status can only move in: a subscription never leaves an ended status, an invoice
# never goes back to draft or open once paid or voided.
_SUBSCRIPTION_STAGE = {"incomplete": 0, "trialing": 0, "canceled": 2, "incomplete_expired": 2}
_INVOICE_STAGE = {"draft": 0, "open": 1, "paid": 2, "void": 2, "uncollectible": 2}


def _newer_or_later_stage(stages: dict[str, int], default: int) -> Guard:
    def guard(existing: Any, row: Row) -> bool:
        incoming = row.get("source_updated_at")
        held = existing.source_updated_at
        if incoming is None or held is None or incoming != held:
            return _newer_or_same(existing, row)
        status = row.get("status", existing.status)
        return stages.get(status, default) >= stages.get(existing.status, default)

    return guard


def plan_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[Plan]:
    """Create or update plans by provider price id."""
    return rows_upsert(Plan, key_field="provider_price_id", rows=rows)


def plan_ids_by_price(*, price_ids: Sequence[str]) -> dict[str, int]:
    """Map provider price ids to plan ids."""
    return dict(
        Plan.objects.filter(provider_price_id__in=set(price_ids)).values_list(
            "provider_price_id", "id"
        )
    )


def billing_customer_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[BillingCustomer]:
    """Create or update billing customers by provider customer id."""
    return rows_upsert(BillingCustomer, key_field="provider_customer_id", rows=rows)


def _subscription_prepare(current: Subscription | None, row: Row) -> Row:
    values = dict(row)

    def value(name: str, default: Any) -> Any:
        if name in values:
            return values[name]
        return getattr(current, name) if current is not None else default

    values["mrr_amount"] = subscription_mrr(
        status=value("status", ""),
        amount=int(value("amount", 0)),
        quantity=int(value("quantity", 1)),
        interval=value("interval", "month"),
        interval_count=int(value("interval_count", 1)),
        discount_percent=Decimal(value("discount_percent", 0)),
        discount_amount=int(value("discount_amount", 0)),
        discount_ends_at=value("discount_ends_at", None),
        at=value("source_updated_at", None) or clock.now(),
    )
    return values


@transaction.atomic
def subscription_upsert_many(
    *, rows: Sequence[Row], ties_by_status: bool = False
) -> UpsertResult[Subscription]:
    """Create or update subscriptions by provider id, keeping MRR and the change log current.

    With `ties_by_status`, of two states stamped with the same time the one further along
    wins (an ended subscription is not revived by a state from the same second).
    """
    result = rows_upsert(
        Subscription,
        key_field="provider_subscription_id",
        rows=rows,
        guard=_newer_or_later_stage(_SUBSCRIPTION_STAGE, 1) if ties_by_status else _newer_or_same,
        prepare=_subscription_prepare,
    )
    changes: list[SubscriptionChange] = []
    for subscription in result.created:
        changes.extend(_changes_for(subscription, previous=None))
    for subscription in result.updated:
        previous = result.previous[subscription.provider_subscription_id]
        changes.extend(_changes_for(subscription, previous=previous))
    SubscriptionChange.objects.bulk_create(changes, batch_size=500)
    mrr_dirty_mark(person_ids=[change.person_id for change in changes])
    return result


def _changes_for(sub: Subscription, *, previous: dict[str, Any] | None) -> list[SubscriptionChange]:
    """The change-log entries that one write of a subscription amounts to."""
    at = sub.source_updated_at or clock.now()

    def change(kind: str, **fields: Any) -> SubscriptionChange:
        base: dict[str, Any] = {
            "subscription": sub,
            "person_id": sub.person_id,
            "occurred_at": at,
            "kind": kind,
            "to_status": sub.status,
            "to_plan_id": sub.plan_id,
            "mrr_after": sub.mrr_amount,
            "currency": sub.currency,
        }
        base.update(fields)
        return SubscriptionChange(**base)

    if previous is None:
        kind = SubscriptionChange.Kind.TRIAL_STARTED if sub.status == "trialing" else "created"
        occurred = sub.started_at or at
        entries = [change(kind, occurred_at=occurred, from_status="", mrr_before=0)]
        if sub.cancel_at_period_end:
            entries.append(change("cancel_scheduled", from_status=sub.status, mrr_before=0))
        return entries

    old_status = previous.get("status", sub.status)
    old_plan_id = previous.get("plan_id", sub.plan_id)
    old_mrr = previous.get("mrr_amount", sub.mrr_amount)
    common = {"from_status": old_status, "from_plan_id": old_plan_id, "mrr_before": old_mrr}
    entries = []
    primary: str | None = None
    if old_status != sub.status:
        if old_status == "trialing" and sub.status in ("active", "past_due"):
            primary = SubscriptionChange.Kind.CONVERTED
        elif sub.status in _ENDED and old_status not in _ENDED:
            primary = SubscriptionChange.Kind.CANCELED
        elif old_status in _ENDED and sub.status in _LIVE:
            primary = SubscriptionChange.Kind.REACTIVATED
        else:
            primary = SubscriptionChange.Kind.STATUS_CHANGED
    if primary is None and (old_plan_id != sub.plan_id or old_mrr != sub.mrr_amount):
        primary = (
            SubscriptionChange.Kind.UPGRADED
            if sub.mrr_amount > old_mrr
            else SubscriptionChange.Kind.DOWNGRADED
        )
    if primary is not None:
        entries.append(change(primary, **common))
    elif old_mrr != sub.mrr_amount:
        entries.append(change(SubscriptionChange.Kind.STATUS_CHANGED, **common))
    if "cancel_at_period_end" in previous:
        kind = "cancel_scheduled" if sub.cancel_at_period_end else "cancel_revoked"
        # The value change is carried by the primary entry; this one only marks the event.
        entries.append(change(kind, **{**common, "mrr_before": sub.mrr_amount}))
    return entries


def subscription_ids_by_provider_id(*, provider_ids: Sequence[str]) -> dict[str, int]:
    """Map provider subscription ids to subscription ids."""
    return dict(
        Subscription.objects.filter(provider_subscription_id__in=set(provider_ids)).values_list(
            "provider_subscription_id", "id"
        )
    )


def invoice_upsert_many(
    *, rows: Sequence[Row], ties_by_status: bool = False
) -> UpsertResult[Invoice]:
    """Create or update invoices by provider id; older states never overwrite newer ones.

    With `ties_by_status`, of two states stamped with the same time the one further along wins.
    """
    guard = _newer_or_later_stage(_INVOICE_STAGE, 1) if ties_by_status else _newer_or_same
    return rows_upsert(Invoice, key_field="provider_invoice_id", rows=rows, guard=guard)


def invoice_ids_by_provider_id(*, provider_ids: Sequence[str]) -> dict[str, int]:
    """Map provider invoice ids to invoice ids."""
    return dict(
        Invoice.objects.filter(provider_invoice_id__in=set(provider_ids)).values_list(
            "provider_invoice_id", "id"
        )
    )


def payment_attempt_upsert_many(*, rows: Sequence[Row]) -> UpsertResult[PaymentAttempt]:
    """Create or update payment attempts by provider id."""
    return rows_upsert(PaymentAttempt, key_field="provider_attempt_id", rows=rows)
