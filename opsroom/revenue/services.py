"""Writes of plans, billing customers, subscriptions (with their change log), invoices, payments.

Rows name related records by id (`person_id`, `plan_id`, `subscription_id`, `invoice_id`);
callers resolve natural keys first (`plan_ids_by_price`, `subscription_ids_by_provider_id`...).
A row carrying `source_updated_at` older than the state held is ignored (reported as stale).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import Guard, Row, UpsertResult, rows_upsert
from opsroom.people.models import Person
from opsroom.revenue.metrics.services import mrr_dirty_mark
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    MarketingSpend,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.mrr import subscription_mrr
from opsroom.revenue.periods import period_end
from opsroom.revenue.selectors import complimentary_preview
from opsroom.revenue.stripe_api import stripe_client

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


# The outbox kind that applies a grant in Stripe (performed by revenue/comp_stripe.py).
COMP_GRANT_KIND = "stripe.comp_grant"


@dataclass(frozen=True)
class CompGrant:
    """What a complimentary grant did: recorded here, or queued to be applied in Stripe first."""

    subscription: Subscription | None
    outbox_entry: OutboxEntry | None = None

    @property
    def is_applied(self) -> bool:
        return self.subscription is not None


def subscription_complimentary_request(
    *, person: Person, plan: Plan | None, months: int, audit: AuditContext, reason: str = ""
) -> CompGrant:
    """Make a person's current subscription free for some months (a 100% discount until then),
    or give a person without one a new subscription to `plan`, free for those months (see
    revenue.selectors.complimentary_preview for what is refused). For a Stripe customer (with
    Stripe configured) the grant is queued in the outbox, applied in Stripe after commit and
    recorded here once Stripe confirms; otherwise it is recorded here at once."""
    grant = _comp_intent(person=person, plan=plan, months=months, audit=audit, reason=reason)
    entry = grant.outbox_entry
    if entry is None:
        return grant
    entry.refresh_from_db()
    if entry.status == OutboxEntry.Status.DONE:
        provider_id = str(entry.outcome.get("recorded_subscription", ""))
        subscription = Subscription.objects.filter(provider_subscription_id=provider_id).first()
        return CompGrant(subscription=subscription, outbox_entry=entry)
    return grant


@transaction.atomic
def _comp_intent(
    *, person: Person, plan: Plan | None, months: int, audit: AuditContext, reason: str
) -> CompGrant:
    customer = BillingCustomer.objects.filter(person=person, provider="stripe").first()
    with_stripe = stripe_client() is not None and customer is not None
    preview = complimentary_preview(
        person_id=person.pk,
        plan_id=plan.pk if plan is not None else None,
        months=months,
        now=clock.now(),
        with_stripe=with_stripe,
    )
    live = (
        Subscription.objects.select_related("plan").get(pk=preview.subscription_id)
        if preview.subscription_id is not None
        else None
    )
    plan = live.plan if live is not None else plan
    if not with_stripe or customer is None:
        # Nothing leaves Opsroom, so there is no side effect to queue: recorded at once.
        subscription = subscription_complimentary_record(
            person=person,
            plan=plan,
            months=months,
            live=live,
            remote=None,
            audit=audit,
            reason=reason,
        )
        return CompGrant(subscription=subscription)
    key = uuid4().hex
    entry = outbox_enqueue(
        kind=COMP_GRANT_KIND,
        payload={
            "person_id": person.pk,
            "plan_id": plan.pk if plan is not None else None,
            "price_id": plan.provider_price_id if plan is not None else "",
            "customer_id": customer.provider_customer_id,
            "months": months,
            "live_subscription_id": live.provider_subscription_id if live else "",
            "live_provider": live.provider if live else "",
            "reason": reason,
            "granted_by": audit.label,
        },
        idempotency_key=f"{COMP_GRANT_KIND}:{key}",
        audit=audit,
        target=person,
    )
    return CompGrant(subscription=None, outbox_entry=entry)


@transaction.atomic
def subscription_complimentary_record(
    *,
    person: Person,
    plan: Plan | None,
    months: int,
    live: Subscription | None,
    remote: dict[str, str] | None,
    audit: AuditContext,
    reason: str = "",
    outbox_entry_id: int | None = None,
) -> Subscription:
    """Record a complimentary grant here (after Stripe applied it, when `remote` holds its
    coupon and subscription ids), and audit it."""
    now = clock.now()
    ends = period_end(start=now, interval="month", interval_count=months)
    note = {"months": months, "until": ends.isoformat(), "granted_by": audit.label}
    if remote:
        note["stripe_coupon"] = remote["coupon"]
    if live is not None:
        row: Row = {
            "provider_subscription_id": live.provider_subscription_id,
            "discount_percent": Decimal(100),
            "discount_amount": 0,
            "discount_ends_at": ends,
            "is_complimentary": True,
            "metadata": {**live.metadata, "complimentary": note},
            "source_updated_at": max(now, live.source_updated_at or now),
        }
    elif plan is None:
        raise InvalidInput("They have no subscription: choose the plan to give them free.")
    else:
        row = {
            "provider": "stripe" if remote else "opsroom",
            "provider_subscription_id": remote["subscription"] if remote else f"comp_{uuid4().hex}",
            "person_id": person.pk,
            "plan_id": plan.pk,
            "status": "active",
            "interval": plan.interval,
            "interval_count": plan.interval_count,
            "amount": plan.amount,
            "currency": plan.currency,
            "discount_percent": Decimal(100),
            "discount_ends_at": ends,
            "started_at": now,
            "current_period_start": now,
            "current_period_end": ends,
            # Without Stripe nothing bills after the free months: the subscription just ends.
            "cancel_at_period_end": remote is None,
            "is_complimentary": True,
            "metadata": {"complimentary": note},
            "source_updated_at": now,
        }
    subscription = subscription_upsert_many(rows=[row]).by_key[row["provider_subscription_id"]]
    params: dict[str, Any] = {
        "months": months,
        "until": f"{ends:%Y-%m-%d}",
        "plan": plan.code if plan is not None else "",
        "plan_name": plan.name if plan is not None else "custom price",
        "subscription": subscription.provider_subscription_id,
        "applied_via": "stripe" if remote else "opsroom",
        "stripe_coupon": remote["coupon"] if remote else "",
        "reason": reason,
    }
    if outbox_entry_id is not None:
        params["outbox_entry"] = outbox_entry_id
    audit_record(audit, action="subscription.comp_grant", target=person, params=params)
    return subscription


@transaction.atomic
def billing_customer_person_move(*, provider_customer_id: str, person_id: int) -> int:
    """Give a billing customer, and the revenue records of the person it belonged to, to another
    person (a provider customer first seen without its user, then named); return rows moved."""
    customer = BillingCustomer.objects.select_for_update().get(
        provider_customer_id=provider_customer_id
    )
    old_person_id = customer.person_id
    if old_person_id == person_id:
        return 0
    if BillingCustomer.objects.filter(person_id=person_id).exists():
        raise Conflict("That person already has a billing customer.")
    moved = 0
    for model in (Subscription, SubscriptionChange, Invoice, PaymentAttempt, BillingCustomer):
        moved += model.objects.filter(person_id=old_person_id).update(person_id=person_id)
    mrr_dirty_mark(person_ids=[old_person_id, person_id])
    return moved


@dataclass(frozen=True)
class SpendRow:
    channel: str
    month: date  # any day of the month; stored as its first day
    amount: int  # minor units
    currency: str
    campaign: str = ""
    note: str = ""


@transaction.atomic
def marketing_spend_record_many(
    *, rows: Sequence[SpendRow], audit: AuditContext | None = None
) -> tuple[int, int]:
    """Record spend per channel, campaign and month (a later row for the same month replaces
    it); return (created, updated). Staff entries are audited."""
    created = updated = 0
    for row in rows:
        channel = row.channel.strip()
        if not channel:
            raise InvalidInput("Marketing spend needs a channel.")
        if row.amount < 0:
            raise InvalidInput("Marketing spend cannot be negative.")
        currency = row.currency.strip().lower()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"'{row.currency}' is not a three-letter currency code.")
        spend, is_new = MarketingSpend.objects.update_or_create(
            channel=channel,
            campaign=row.campaign.strip(),
            month=row.month.replace(day=1),
            currency=currency,
            defaults={"amount": row.amount, "note": row.note.strip(), "updated_at": clock.now()},
        )
        created += is_new
        updated += not is_new
        if audit is not None:
            audit_record(
                audit,
                action="revenue.marketing_spend_set",
                target=spend,
                params={
                    "channel": spend.channel,
                    "campaign": spend.campaign,
                    "month": f"{spend.month:%Y-%m}",
                    "amount": spend.amount,
                    "currency": spend.currency,
                },
            )
    return created, updated
