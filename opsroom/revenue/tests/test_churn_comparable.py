"""Risk factors against comparable retained customers: the group, the median among customers
who stayed through the last closed window, and the fall-back when a group is too small."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.churn.comparable import (
    RetainedReferences,
    comparable_group,
    factors_referenced,
    retained_references,
)
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.services import subscription_upsert_many
from opsroom.revenue.tests.factories import PlanFactory


def test_the_group_is_the_billing_interval_and_the_tenure_band():
    assert comparable_group({"is_annual": 1.0, "paid_days": 400.0}) == (True, "over a year")
    assert comparable_group({"paid_days": 10.0}) == (False, "first 3 months")
    assert comparable_group({"is_annual": 0.0, "paid_days": 200.0}) == (False, "3-12 months")


def test_factors_take_the_median_of_their_group_or_of_everyone_retained():
    refs = RetainedReferences(
        names=["days_since_login", "mrr"],
        medians={(False, "3-12 months"): np.array([2.0, 2900.0])},
        overall=np.array([5.0, 1900.0]),
        sizes={(False, "3-12 months"): 12, (True, "over a year"): 3},
    )
    factor = {"feature": "days_since_login", "value": 20.0, "contribution": 0.3}
    monthly = {"is_annual": 0.0, "paid_days": 200.0}
    annual = {"is_annual": 1.0, "paid_days": 500.0}
    assert factors_referenced([factor], monthly, refs)[0]["reference"] == 2.0
    assert factors_referenced([factor], monthly, refs)[0]["compared_with"] == "monthly, 3-12 months"
    assert factors_referenced([factor], annual, refs)[0]["reference"] == 5.0  # too few annual
    assert factors_referenced([factor], annual, refs)[0]["compared_with"] == "all"
    unknown = factors_referenced([{"feature": "nope", "value": 1.0}], monthly, refs)[0]
    assert unknown["reference"] is None


@pytest.mark.django_db
def test_the_references_come_from_customers_who_stayed_through_the_last_window():
    """Twelve monthly customers paying 60 days ago; two churn in the last closed window. The
    MRR reference is the median of the ten who stayed (3000 for eight, 5000 for two: 3000)."""
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    today = start + timedelta(days=120)
    people = [PersonFactory(external_id=f"r{i}") for i in range(12)]
    plan = PlanFactory(provider_price_id="p", amount=3000)
    rows = []
    for i, person in enumerate(people):
        amount = 5000 if i in (3, 4) or i >= 10 else 3000
        rows.append(
            {
                "provider_subscription_id": f"s{i}",
                "person_id": person.pk,
                "plan_id": plan.pk,
                "status": "active",
                "amount": amount,
                "interval": "month",
                "quantity": 1,
                "currency": "usd",
                "started_at": start,
                "source_updated_at": start,
            }
        )
    with clock.clock_frozen_at(start):
        subscription_upsert_many(rows=rows)
    gone = today - timedelta(days=20)  # inside [today - 30, today)
    with clock.clock_frozen_at(gone):
        subscription_upsert_many(
            rows=[
                {**rows[i], "status": "canceled", "source_updated_at": gone, "started_at": gone}
                for i in (10, 11)
            ]
        )
    with clock.clock_frozen_at(today):
        mrr_ledger_update()
        refs = retained_references(today=today)
    assert "mrr" in refs.names
    assert sum(refs.sizes.values()) == 10  # the two who churned are not references
    found = refs.reference({"is_annual": 0.0, "paid_days": 100.0}, "mrr")
    assert found is not None
    assert found[0] == 3000.0
