import pytest

from opsroom.people.selectors import person_ids_by_email
from opsroom.people.tests.factories import PersonFactory


@pytest.mark.django_db
def test_people_are_found_by_email_in_any_case():
    person = PersonFactory(email="ann@example.com")
    PersonFactory(email="bob@example.com")
    assert person_ids_by_email(emails=["Ann@Example.COM ", "nobody@example.com"]) == {
        "ann@example.com": person.pk
    }
