"""States from the same second, and billing customers named after their records arrived."""

from datetime import UTC, datetime

import pytest

from opsroom.core.errors import Conflict
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Invoice, Subscription
from opsroom.revenue.services import (
    billing_customer_person_move,
    billing_customer_upsert_many,
    invoice_upsert_many,
    subscription_upsert_many,
)
from opsroom.revenue.tests.factories import SubscriptionFactory

T = datetime(2026, 3, 1, tzinfo=UTC)


def _sub(person, status, **extra):
    return {
        "provider_subscription_id": "sub_1",
        "person_id": person.pk,
        "status": status,
        "amount": 999,
        "source_updated_at": T,
        **extra,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ties_by_status", "expected"), [(True, "canceled"), (False, "active")], ids=["on", "off"]
)
def test_a_same_second_state_does_not_revive_an_ended_subscription(ties_by_status, expected):
    person = PersonFactory()
    subscription_upsert_many(rows=[_sub(person, "canceled")])
    subscription_upsert_many(rows=[_sub(person, "active")], ties_by_status=ties_by_status)
    assert Subscription.objects.get().status == expected


@pytest.mark.django_db
def test_on_a_tie_a_state_further_along_still_wins():
    person = PersonFactory()
    subscription_upsert_many(rows=[_sub(person, "trialing")], ties_by_status=True)
    subscription_upsert_many(rows=[_sub(person, "active")], ties_by_status=True)
    assert Subscription.objects.get().status == "active"


@pytest.mark.django_db
def test_a_paid_invoice_does_not_reopen_on_a_tie():
    person = PersonFactory()
    row = {"provider_invoice_id": "in_1", "person_id": person.pk, "issued_at": T}
    invoice_upsert_many(rows=[{**row, "status": "paid", "source_updated_at": T}])
    result = invoice_upsert_many(
        rows=[{**row, "status": "open", "source_updated_at": T}], ties_by_status=True
    )
    assert Invoice.objects.get().status == "paid"
    assert len(result.stale) == 1


@pytest.mark.django_db
def test_a_billing_customer_moves_with_its_records_to_the_person_it_names():
    placeholder, named = PersonFactory(external_id="stripe:cus_1"), PersonFactory()
    billing_customer_upsert_many(
        rows=[{"provider_customer_id": "cus_1", "person_id": placeholder.pk}]
    )
    SubscriptionFactory(person=placeholder)
    moved = billing_customer_person_move(provider_customer_id="cus_1", person_id=named.pk)
    assert moved >= 3  # the customer, the subscription and its change-log entry
    assert Subscription.objects.get().person == named


@pytest.mark.django_db
def test_a_person_already_billed_elsewhere_is_not_given_a_second_customer():
    first, second = PersonFactory(), PersonFactory()
    billing_customer_upsert_many(
        rows=[
            {"provider_customer_id": "cus_1", "person_id": first.pk},
            {"provider_customer_id": "cus_2", "person_id": second.pk},
        ]
    )
    with pytest.raises(Conflict, match="already has a billing customer"):
        billing_customer_person_move(provider_customer_id="cus_1", person_id=second.pk)
