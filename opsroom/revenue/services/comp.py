"""Complimentary grants: a subscription made free for some months (through Stripe, via the
outbox, when the customer is a Stripe customer)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import Row
from opsroom.people.models import Person
from opsroom.revenue.models import (
    BillingCustomer,
    Plan,
    Subscription,
)
from opsroom.revenue.periods import period_end
from opsroom.revenue.selectors import complimentary_preview
from opsroom.revenue.services.sync import subscription_upsert_many
from opsroom.revenue.stripe_api import stripe_client

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
