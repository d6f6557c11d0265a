"""Billing rules: when a subscription next charges, how much, and when it ends."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from opsroom.revenue.billing import charge_amount, dashboard_url, ends_at, next_charge_at
from opsroom.revenue.models import Subscription

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PERIOD_END = NOW + timedelta(days=12)


def _subscription(**fields):
    values = {
        "status": "active",
        "amount": 1999,
        "quantity": 1,
        "current_period_end": PERIOD_END,
        **fields,
    }
    return Subscription(**values)


@pytest.mark.parametrize(
    ("fields", "expected_at", "expected_amount"),
    [
        ({}, PERIOD_END, 1999),
        ({"quantity": 3}, PERIOD_END, 5997),
        # A 100% comp that runs past the next charge: the charge is free.
        (
            {"discount_percent": Decimal(100), "discount_ends_at": PERIOD_END + timedelta(days=60)},
            PERIOD_END,
            0,
        ),
        # A discount ending before the charge does not apply to it.
        ({"discount_percent": Decimal(50), "discount_ends_at": NOW}, PERIOD_END, 1999),
        ({"discount_percent": Decimal(25)}, PERIOD_END, 1499),
        ({"discount_amount": 500}, PERIOD_END, 1499),
        ({"discount_amount": 5000}, PERIOD_END, 0),
        (
            {"status": "trialing", "trial_end": NOW + timedelta(days=3)},
            NOW + timedelta(days=3),
            1999,
        ),
        ({"status": "past_due"}, PERIOD_END, 1999),
        ({"cancel_at_period_end": True}, None, None),
        ({"status": "paused"}, None, None),
        ({"status": "canceled", "ended_at": NOW}, None, None),
    ],
    ids=[
        "monthly",
        "quantity",
        "comp-runs-past-the-charge",
        "discount-ended",
        "percent-off",
        "amount-off",
        "amount-off-above-price",
        "trial-ends",
        "past-due-retries",
        "cancel-at-period-end",
        "paused",
        "ended",
    ],
)
def test_next_charge(fields, expected_at, expected_amount):
    subscription = _subscription(**fields)
    at = next_charge_at(subscription)
    assert at == expected_at
    assert (charge_amount(subscription, at=at) if at else None) == expected_amount


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"cancel_at_period_end": True}, PERIOD_END),
        ({"status": "canceled", "ended_at": NOW - timedelta(days=1)}, NOW - timedelta(days=1)),
        ({"status": "canceled", "canceled_at": NOW - timedelta(days=2)}, NOW - timedelta(days=2)),
    ],
    ids=["renews", "cancel-at-period-end", "ended", "canceled-without-end-date"],
)
def test_ends_at(fields, expected):
    assert ends_at(_subscription(**fields)) == expected


def test_dashboard_url_names_the_stripe_mode():
    assert dashboard_url(provider="stripe", provider_customer_id="cus_1", livemode=True) == (
        "https://dashboard.stripe.com/customers/cus_1"
    )
    assert "/test/customers/cus_1" in dashboard_url(
        provider="stripe", provider_customer_id="cus_1", livemode=False
    )
    assert dashboard_url(provider="paddle", provider_customer_id="c", livemode=True) == ""
