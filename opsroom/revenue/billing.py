"""Billing rules of one subscription: when it next charges, how much, and when it ends."""

from datetime import datetime
from decimal import Decimal

from opsroom.core.money import money_round
from opsroom.revenue.models import Subscription

# A subscription in these statuses charges at the end of its period (unless set to cancel).
_CHARGING = ("trialing", "active", "past_due", "unpaid")


def charge_amount(subscription: Subscription, *, at: datetime) -> int:
    """What a charge at a time comes to: price x quantity, less the discounts running then."""
    amount = Decimal(subscription.amount) * subscription.quantity
    ends = subscription.discount_ends_at
    if ends is None or at < ends:
        amount = amount * (100 - Decimal(subscription.discount_percent)) / 100
        amount -= subscription.discount_amount
    return max(money_round(amount), 0)


def next_charge_at(subscription: Subscription) -> datetime | None:
    """When the subscription next charges: the trial's end, else its period's end; None when it
    is paused, ended or set to cancel at the period's end."""
    if subscription.status not in _CHARGING or subscription.cancel_at_period_end:
        return None
    if subscription.status == "trialing" and subscription.trial_end is not None:
        return subscription.trial_end
    return subscription.current_period_end


def ends_at(subscription: Subscription) -> datetime | None:
    """When access ends: the period's end when set to cancel, the end date once it ended."""
    if subscription.is_live:
        return subscription.current_period_end if subscription.cancel_at_period_end else None
    return subscription.ended_at or subscription.canceled_at


def dashboard_url(*, provider: str, provider_customer_id: str, livemode: bool) -> str:
    """The customer's page at the payment provider ("" when there is none we know of)."""
    if provider != "stripe" or not provider_customer_id:
        return ""
    mode = "" if livemode else "test/"
    return f"https://dashboard.stripe.com/{mode}customers/{provider_customer_id}"
