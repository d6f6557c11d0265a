"""Billing rules of one subscription: when it next charges, how much, and when it ends."""

from datetime import datetime
from decimal import Decimal

from opsroom.core.money import money_round
from opsroom.revenue.models import Subscription
from opsroom.revenue.periods import period_end

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


def charge_dates(subscription: Subscription, *, until: datetime, limit: int = 60) -> list[datetime]:
    """The charges the subscription makes from its next one up to (not including) `until`."""
    at = next_charge_at(subscription)
    dates: list[datetime] = []
    while at is not None and at < until and len(dates) < limit:
        dates.append(at)
        at = period_end(
            start=at,
            interval=subscription.interval,
            interval_count=max(subscription.interval_count, 1),
        )
    return dates


def first_charge_from(subscription: Subscription, *, start: datetime) -> datetime | None:
    """The subscription's first charge at or after a time (e.g. when a discount has ended)."""
    at = next_charge_at(subscription)
    for _ in range(600):
        if at is None or at >= start:
            return at
        at = period_end(
            start=at,
            interval=subscription.interval,
            interval_count=max(subscription.interval_count, 1),
        )
    return None


def months_per_charge_of(interval: str, interval_count: int) -> int:
    """How many months one charge covers (0 when a charge covers less than a month)."""
    if interval == "year":
        return 12 * max(interval_count, 1)
    if interval == "month":
        return max(interval_count, 1)
    return 0


def months_per_charge(subscription: Subscription) -> int:
    """How many months one of the subscription's charges covers."""
    return months_per_charge_of(subscription.interval, subscription.interval_count)
