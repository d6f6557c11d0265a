import pytest

from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.selectors import billing_customer_person_ids, plan_terms_by_price
from opsroom.revenue.services import billing_customer_upsert_many, plan_upsert_many


@pytest.mark.django_db
def test_plan_terms_are_found_by_price_id():
    plan_upsert_many(
        rows=[{"provider_price_id": "price_y", "amount": 12000, "interval": "year", "code": "y"}]
    )
    terms = plan_terms_by_price(price_ids=["price_y", "price_unknown"])
    assert list(terms) == ["price_y"]
    assert (terms["price_y"].amount, terms["price_y"].interval) == (12000, "year")


@pytest.mark.django_db
def test_billing_customers_map_to_their_people():
    person = PersonFactory()
    billing_customer_upsert_many(rows=[{"provider_customer_id": "cus_1", "person_id": person.pk}])
    assert billing_customer_person_ids(provider_customer_ids=["cus_1", "cus_2"]) == {
        "cus_1": person.pk
    }


@pytest.mark.django_db
def test_billing_states_as_of_a_time_come_from_the_change_log():
    from datetime import UTC, datetime, timedelta

    from opsroom.core import clock
    from opsroom.revenue.selectors import billing_states_as_of
    from opsroom.revenue.tests.factories import SubscriptionFactory

    start = datetime(2026, 1, 1, tzinfo=UTC)
    person = PersonFactory()
    with clock.clock_frozen_at(start):
        SubscriptionFactory(person=person, provider_subscription_id="sub_a", started_at=start)
    for days, status in ((30, "past_due"), (60, "canceled")):
        at = start + timedelta(days=days)
        with clock.clock_frozen_at(at):
            SubscriptionFactory(
                person=person,
                provider_subscription_id="sub_a",
                status=status,
                source_updated_at=at,
                ended_at=at if status == "canceled" else None,
            )

    def state(days):
        return billing_states_as_of(at=start + timedelta(days=days)).get(person.pk)

    assert state(-1) is None  # before it started
    assert state(10).mrr > 0
    assert not state(10).is_delinquent
    assert state(40).mrr > 0  # past due still counts as MRR
    assert state(40).is_delinquent
    assert state(70) is None  # ended: nothing live to read
