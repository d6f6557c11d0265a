from datetime import UTC, datetime
from decimal import Decimal

import pytest

from opsroom.revenue.mrr import subscription_mrr
from opsroom.revenue.periods import period_end


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"amount": 2900, "interval": "month"}, 2900),
        ({"amount": 24000, "interval": "year"}, 2000),
        ({"amount": 9000, "interval": "month", "interval_count": 3}, 3000),
        ({"amount": 1000, "interval": "week"}, 4333),  # 1000 * 52 / 12 = 4333.33
        ({"amount": 100, "interval": "day"}, 3042),  # 100 * 365 / 12 = 3041.67
        ({"amount": 2900, "interval": "month", "quantity": 3}, 8700),
        ({"amount": 2900, "interval": "month", "discount_percent": Decimal("25")}, 2175),
        ({"amount": 2900, "interval": "month", "discount_amount": 500}, 2400),
        ({"amount": 2900, "interval": "month", "discount_percent": Decimal("100")}, 0),
        ({"amount": 2900, "interval": "month", "status": "trialing"}, 0),
        ({"amount": 2900, "interval": "month", "status": "canceled"}, 0),
        ({"amount": 2900, "interval": "month", "status": "past_due"}, 2900),
    ],
    ids=[
        "monthly",
        "annual",
        "quarterly",
        "weekly",
        "daily",
        "quantity",
        "pct-discount",
        "amount-discount",
        "full-discount",
        "trial",
        "canceled",
        "past-due",
    ],
)
def test_mrr_normalises_to_a_month(kwargs, expected):
    values = {"status": "active", "quantity": 1, "interval_count": 1, **kwargs}
    assert subscription_mrr(**values) == expected


def test_past_due_is_excluded_when_configured(settings):
    settings.OPSROOM_MRR_INCLUDES_PAST_DUE = False
    assert (
        subscription_mrr(
            status="past_due", amount=2900, quantity=1, interval="month", interval_count=1
        )
        == 0
    )


def test_a_discount_stops_counting_after_it_ends():
    ends = datetime(2026, 3, 1, tzinfo=UTC)
    common = {
        "status": "active",
        "amount": 2000,
        "quantity": 1,
        "interval": "month",
        "interval_count": 1,
        "discount_percent": Decimal(50),
        "discount_ends_at": ends,
    }
    assert subscription_mrr(**common, at=datetime(2026, 2, 1, tzinfo=UTC)) == 1000
    assert subscription_mrr(**common, at=datetime(2026, 4, 1, tzinfo=UTC)) == 2000


@pytest.mark.parametrize(
    ("start", "interval", "count", "end"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), "month", 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), "month", 3, datetime(2027, 2, 15, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), "year", 1, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), "week", 2, datetime(2026, 1, 15, tzinfo=UTC)),
    ],
    ids=["month-end-clamps", "quarter", "leap-day", "two-weeks"],
)
def test_period_end(start, interval, count, end):
    assert period_end(start=start, interval=interval, interval_count=count) == end
