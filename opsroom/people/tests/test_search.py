import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsroom.people.models import Person
from opsroom.people.search_index import search_index_ensure
from opsroom.people.selectors.search import person_search
from opsroom.people.services import person_ids_ensure, person_upsert
from opsroom.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _found(query, limit=20):
    return [
        (Person.objects.get(pk=hit.person_id).external_id, hit.reason)
        for hit in person_search(query=query, limit=limit)
    ]


@pytest.fixture
def people():
    person_upsert(external_id="u-100", email="jane.doe@example.com", name="Jane Doe")
    person_upsert(external_id="u-101", email="janet@acme.io", name="Janet Smith")
    person_upsert(external_id="u-102", email="bob@example.com", name="Bob Dupré")
    person_upsert(external_id="4242", email="lucas@example.com", name="Lucas Martin")


def test_email_prefix_comes_before_a_name_prefix_and_contains(people):
    assert _found("jane") == [("u-100", "email"), ("u-101", "email")]
    assert _found("jane.d") == [("u-100", "email")]


def test_name_prefix_and_last_names_by_contains(people):
    assert _found("bob d") == [("u-102", "name")]
    assert _found("smith") == [("u-101", "contains")]


def test_contains_ignores_case_and_accents(people):
    assert _found("DUPRE") == [("u-102", "contains")]
    assert _found("dupré") == [("u-102", "contains")]


def test_user_id(people):
    assert _found("u-101")[0] == ("u-101", "user id")
    assert _found("4242")[0] == ("4242", "user id")


def test_short_queries_use_prefixes_only_and_empty_finds_nothing(people):
    assert _found("bo") == [("u-102", "email")]
    assert _found("oe") == []  # too short for contains
    assert _found("   ") == []


def test_the_index_follows_changes_and_new_people(people):
    person_upsert(external_id="u-100", name="Jane Rivera")
    assert _found("rivera") == [("u-100", "contains")]
    assert _found("doe") == [("u-100", "contains")]  # still in the email
    person_upsert(external_id="u-100", email="jr@example.com")
    assert _found("doe") == []
    person_ids_ensure(external_ids=["placeholder-77"])
    assert _found("placeholder-77") == [("placeholder-77", "user id")]
    PersonFactory(external_id="made-by-factory", name="Zed Quimby")
    assert _found("quimby") == [("made-by-factory", "contains")]


def test_the_index_survives_a_rebuild_of_the_table(people):
    """A later migration altering people_person on SQLite drops the triggers; they come back."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL indexes live on the table")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER people_person_fts_update")
    assert search_index_ensure() is True
    person_upsert(external_id="u-101", name="Janet Okafor")
    assert _found("okafor") == [("u-101", "contains")]
    assert search_index_ensure() is False  # nothing to do


def test_search_quotes_and_wildcards_are_plain_text(people):
    assert _found('"jane') == []
    assert _found("jan%") == []
    assert _found("a_b") == []


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=30))
def test_any_text_searches_without_an_error(people, text):
    hits = person_search(query=text)
    assert len(hits) <= 20
