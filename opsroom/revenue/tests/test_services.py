from datetime import UTC, datetime, timedelta

import pytest

from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Subscription, SubscriptionChange
from opsroom.revenue.services import invoice_upsert_many, subscription_upsert_many
from opsroom.revenue.tests.factories import PlanFactory

T = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def plans(db):
    return {
        "basic": PlanFactory(provider_price_id="price_basic", amount=900),
        "premium": PlanFactory(provider_price_id="price_premium", amount=2900),
    }


def _write(person, plan, at, **fields):
    row = {
        "provider_subscription_id": "sub_1",
        "person_id": person.pk,
        "plan_id": plan.pk,
        "amount": plan.amount,
        "interval": "month",
        "source_updated_at": at,
        **fields,
    }
    return subscription_upsert_many(rows=[row])


@pytest.mark.django_db
def test_the_change_log_follows_a_subscription_life(plans):
    person = PersonFactory()
    _write(person, plans["basic"], T, status="trialing", started_at=T)
    _write(person, plans["basic"], T + timedelta(days=14), status="active")
    _write(person, plans["premium"], T + timedelta(days=40), status="active", amount=2900)
    _write(
        person,
        plans["premium"],
        T + timedelta(days=50),
        status="active",
        amount=2900,
        cancel_at_period_end=True,
    )
    _write(
        person,
        plans["premium"],
        T + timedelta(days=70),
        status="canceled",
        amount=2900,
        ended_at=T + timedelta(days=70),
    )
    changes = list(SubscriptionChange.objects.values_list("kind", "mrr_before", "mrr_after"))
    assert changes == [
        ("trial_started", 0, 0),
        ("converted", 0, 900),
        ("upgraded", 900, 2900),
        ("cancel_scheduled", 2900, 2900),
        ("canceled", 2900, 0),
    ]
    assert Subscription.objects.get().mrr_amount == 0


@pytest.mark.django_db
def test_an_older_state_never_overwrites_a_newer_one(plans):
    person = PersonFactory()
    _write(person, plans["basic"], T + timedelta(days=2), status="canceled")
    result = _write(person, plans["basic"], T, status="active")
    assert len(result.stale) == 1
    assert Subscription.objects.get().status == "canceled"


@pytest.mark.django_db
def test_resending_a_state_adds_no_change(plans):
    person = PersonFactory()
    _write(person, plans["basic"], T, status="active")
    _write(person, plans["basic"], T, status="active")
    assert SubscriptionChange.objects.count() == 1


@pytest.mark.django_db
def test_invoice_updates_respect_object_time(plans):
    person = PersonFactory()
    base = {"provider_invoice_id": "in_1", "person_id": person.pk, "issued_at": T, "total": 900}
    invoice_upsert_many(
        rows=[{**base, "status": "paid", "source_updated_at": T + timedelta(hours=1)}]
    )
    invoice_upsert_many(rows=[{**base, "status": "open", "source_updated_at": T}])
    assert person.invoices.get().status == "paid"
