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
