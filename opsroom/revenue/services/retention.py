"""Recording here what Stripe did to a subscription for support: a cancellation set for the
period's end (or taken back), and a retention discount accepted by the customer."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from opsroom.core import clock
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import Row
from opsroom.people.models import Person
from opsroom.revenue.models import Subscription
from opsroom.revenue.periods import period_end
from opsroom.revenue.services.sync import subscription_upsert_many


def _stamp(live: Subscription) -> datetime:
    now = clock.now()
    return max(now, live.source_updated_at or now)


@transaction.atomic
def subscription_cancel_at_period_end_record(
    *,
    provider_subscription_id: str,
    cancel_at_period_end: bool,
    access_ends_at: datetime | None,
    audit: AuditContext,
    reason: str,
) -> None:
    """Record that a subscription is set to cancel at its period's end (or no longer is),
    as Stripe confirmed, and audit it."""
    live = Subscription.objects.filter(provider_subscription_id=provider_subscription_id).first()
    if live is not None:
        row: Row = {
            "provider_subscription_id": provider_subscription_id,
            "cancel_at_period_end": cancel_at_period_end,
            "source_updated_at": _stamp(live),
        }
        if cancel_at_period_end and access_ends_at is not None:
            row["current_period_end"] = access_ends_at
        subscription_upsert_many(rows=[row])
    person = Person.objects.filter(pk=live.person_id).first() if live is not None else None
    audit_record(
        audit,
        action="subscription.cancel_at_period_end"
        if cancel_at_period_end
        else "subscription.cancel_taken_back",
        target=person,
        target_type="" if person else "revenue.subscription",
        target_id="" if person else provider_subscription_id,
        params={
            "subscription": provider_subscription_id,
            "access_ends_at": access_ends_at.isoformat() if access_ends_at else "",
            "applied_via": "stripe",
            "reason": reason,
        },
    )


@transaction.atomic
def subscription_retention_discount_record(
    *,
    provider_subscription_id: str,
    percent_off: int,
    months: int,
    coupon: str,
    audit: AuditContext,
) -> None:
    """Record a retention discount Stripe applied (its pending cancellation taken back too)."""
    live = Subscription.objects.filter(provider_subscription_id=provider_subscription_id).first()
    ends = period_end(start=clock.now(), interval="month", interval_count=months)
    if live is not None:
        subscription_upsert_many(
            rows=[
                {
                    "provider_subscription_id": provider_subscription_id,
                    "cancel_at_period_end": False,
                    "discount_percent": Decimal(percent_off),
                    "discount_amount": 0,
                    "discount_ends_at": ends,
                    "metadata": {
                        **live.metadata,
                        "retention_offer": {
                            "percent_off": percent_off,
                            "months": months,
                            "coupon": coupon,
                        },
                    },
                    "source_updated_at": _stamp(live),
                }
            ]
        )
    person = Person.objects.filter(pk=live.person_id).first() if live is not None else None
    audit_record(
        audit,
        action="subscription.retention_discount",
        target=person,
        target_type="" if person else "revenue.subscription",
        target_id="" if person else provider_subscription_id,
        params={
            "subscription": provider_subscription_id,
            "percent_off": percent_off,
            "months": months,
            "until": f"{ends:%Y-%m-%d}",
            "stripe_coupon": coupon,
            "applied_via": "stripe",
        },
    )
