"""Monthly recurring revenue of one subscription: the one rule, in one place.

Normalised to a month (annual / 12, n-month / n, weekly * 52 / 12, daily * 365 / 12), times
quantity, minus recurring discounts, tax excluded. Trials and ended subscriptions are not MRR;
past-due ones count until they end unless OPSROOM_MRR_INCLUDES_PAST_DUE is off.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings

from opsroom.core.money import money_round

_MONTHS_PER_INTERVAL = {
    "day": Decimal(12) / Decimal(365),
    "week": Decimal(12) / Decimal(52),
    "month": Decimal(1),
    "year": Decimal(12),
}


def mrr_statuses() -> tuple[str, ...]:
    """The subscription statuses that contribute MRR."""
    return ("active", "past_due") if settings.OPSROOM_MRR_INCLUDES_PAST_DUE else ("active",)


def mrr_counts_status(status: str) -> bool:
    """Whether a subscription in this status contributes MRR."""
    if status == "active":
        return True
    if status == "past_due":
        return bool(settings.OPSROOM_MRR_INCLUDES_PAST_DUE)
    return False


def subscription_mrr(
    *,
    status: str,
    amount: int,
    quantity: int,
    interval: str,
    interval_count: int,
    discount_percent: Decimal = Decimal(0),
    discount_amount: int = 0,
    discount_ends_at: datetime | None = None,
    at: datetime | None = None,
) -> int:
    """MRR contribution in minor units of the subscription's currency."""
    if not mrr_counts_status(status):
        return 0
    if interval not in _MONTHS_PER_INTERVAL:
        raise ValueError(f"unknown billing interval {interval!r}")
    if interval_count < 1:
        raise ValueError("interval_count must be at least 1")
    per_interval = Decimal(amount) * quantity
    discount_applies = discount_ends_at is None or at is None or at < discount_ends_at
    if discount_applies:
        per_interval = per_interval * (Decimal(100) - Decimal(discount_percent)) / Decimal(100)
        per_interval -= Decimal(discount_amount)
    per_interval = max(per_interval, Decimal(0))
    months = _MONTHS_PER_INTERVAL[interval] * interval_count
    return money_round(per_interval / months)
