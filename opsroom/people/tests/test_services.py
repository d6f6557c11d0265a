from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction

from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import ActivityDaily, Event, Person
from opsroom.people.services import (
    EventData,
    event_record_many,
    event_rollups_deferred,
    events_prepare,
    events_prepare_fields,
    note_create,
    person_ids_ensure,
    person_tags_add,
    person_upsert,
)
from opsroom.people.tests.factories import PersonFactory

T = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _events(n=3, person="u1", name="meal_plan_created", key_prefix="k"):
    return [
        EventData(
            person_external_id=person,
            name=name,
            occurred_at=T + timedelta(hours=i),
            idempotency_key=f"{key_prefix}{i}",
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_events_update_rollups_and_last_seen():
    result = event_record_many(events=_events(3) + _events(1, name="login", key_prefix="l"))
    assert (result.inserted, result.duplicates) == (4, 0)
    rollup = dict(ActivityDaily.objects.values_list("name", "count"))
    assert rollup == {"meal_plan_created": 3, "login": 1}
    assert ActivityDaily.objects.filter(day=date(2026, 3, 10)).count() == 2
    assert Person.objects.get(external_id="u1").last_seen_at == T + timedelta(hours=2)


@pytest.mark.django_db
def test_resending_events_changes_nothing():
    event_record_many(events=_events(3))
    again = event_record_many(events=_events(3))
    assert (again.inserted, again.duplicates) == (0, 3)
    assert Event.objects.count() == 3
    assert ActivityDaily.objects.get().count == 3


@pytest.mark.django_db
def test_events_without_a_key_are_deduplicated_by_content():
    event = EventData(person_external_id="u1", name="login", occurred_at=T, properties={"a": 1})
    event_record_many(events=[event, event])
    event_record_many(events=[event])
    assert Event.objects.count() == 1
    assert Event.objects.get().idempotency_key.startswith("h:")


@pytest.mark.django_db
def test_an_unknown_person_becomes_a_placeholder_that_later_data_fills_in():
    event_record_many(events=_events(1, person="new-user"))
    placeholder = Person.objects.get(external_id="new-user")
    assert placeholder.is_placeholder
    person_upsert(external_id="new-user", email="New@Example.com", name="New User")
    person = Person.objects.get(external_id="new-user")
    assert (person.is_placeholder, person.email, person.last_seen_at) == (
        False,
        "new@example.com",
        T,
    )


def _rollups():
    return sorted(ActivityDaily.objects.values_list("person__external_id", "day", "name", "count"))


@pytest.mark.django_db
def test_a_batch_partly_stored_before_counts_only_its_new_events():
    # All new: the batch's own counts are added; partly stored: the new rows are counted in SQL.
    other = EventData(person_external_id="u2", name="login", occurred_at=T, idempotency_key="x")
    event_record_many(events=[*_events(2), other])
    late = EventData(
        person_external_id="u2",
        name="login",
        occurred_at=T + timedelta(days=1),
        idempotency_key="y",
    )
    result = event_record_many(events=[*_events(3), late, late])
    assert (result.inserted, result.duplicates) == (2, 3)
    assert _rollups() == [
        ("u1", date(2026, 3, 10), "meal_plan_created", 3),
        ("u2", date(2026, 3, 10), "login", 1),
        ("u2", date(2026, 3, 11), "login", 1),
    ]
    seen = dict(Person.objects.values_list("external_id", "last_seen_at"))
    assert seen == {"u1": T + timedelta(hours=2), "u2": T + timedelta(days=1)}


@pytest.mark.django_db
def test_events_given_as_fields_are_prepared_as_event_data_is():
    events = [
        *_events(3),
        *_events(2, person="u2", key_prefix="k"),  # keys taken by u1's events: dropped
        EventData(person_external_id="u3", name="login", occurred_at=T, properties={"b": [1]}),
    ]
    fields = [
        (e.person_external_id, e.name, e.occurred_at, e.properties, e.source, e.idempotency_key)
        for e in events
    ]
    assert events_prepare_fields(events=fields) == events_prepare(events=events)
    prepared = events_prepare(events=events)
    assert prepared.given == 6
    assert len(prepared.rows) == 4


@pytest.mark.django_db
def test_last_seen_never_moves_backwards():
    event_record_many(events=_events(1, key_prefix="late"))
    event_record_many(
        events=[
            EventData(
                person_external_id="u1",
                name="login",
                occurred_at=T - timedelta(days=5),
                idempotency_key="early",
            )
        ]
    )
    assert Person.objects.get().last_seen_at == T


@pytest.mark.django_db
def test_attributes_merge_key_by_key_and_none_removes():
    person_upsert(
        external_id="u1", attributes={"kids": [{"name": "Emma", "age": 5}], "diet": "veg"}
    )
    person_upsert(external_id="u1", attributes={"diet": None, "city": "Lyon"})
    assert Person.objects.get().attributes == {"kids": [{"name": "Emma", "age": 5}], "city": "Lyon"}


@pytest.mark.django_db
def test_person_ids_ensure_creates_each_placeholder_once():
    first = person_ids_ensure(external_ids=["a", "b", "a"])
    second = person_ids_ensure(external_ids=["b", "c"])
    assert first["b"] == second["b"]
    assert Person.objects.count() == 3


@pytest.mark.django_db
def test_notes_need_a_body_and_are_audited(staff_support):
    person = PersonFactory()
    audit = AuditContext(actor=staff_support, label="sam")
    with pytest.raises(InvalidInput, match="empty"):
        note_create(person=person, body="  ", audit=audit)
    note = note_create(person=person, body="Asked about export", audit=audit)
    entry = AuditEntry.objects.get(action="person.note_add")
    assert (entry.target_id, entry.params) == (str(person.pk), {"note_id": note.pk})


@pytest.mark.django_db
def test_tags_are_added_once():
    people = PersonFactory.create_batch(2)
    person_tags_add(people=people, tag_names=["Beta", "beta ", "vip-call"])
    person_tags_add(people=people[:1], tag_names=["beta"])
    assert sorted(people[0].tags.values_list("name", flat=True)) == ["beta", "vip-call"]


@pytest.mark.django_db
def test_deferred_rollups_are_written_once_at_the_end_and_add_up():
    with transaction.atomic(), event_rollups_deferred():
        event_record_many(events=_events(2))
        # Some of the same person, day and name, later; one batch partly stored before.
        event_record_many(events=_events(3, key_prefix="m"))
        if connection.vendor == "sqlite":
            assert not ActivityDaily.objects.exists()  # held until the end
        # Partly stored before: its new event's counts are derived in SQL, at once.
        event_record_many(events=_events(1, key_prefix="m") + _events(1, key_prefix="n"))
    assert _rollups() == [("u1", date(2026, 3, 10), "meal_plan_created", 6)]
    assert Event.objects.count() == 6
    assert Person.objects.get(external_id="u1").last_seen_at == T + timedelta(hours=2)


@pytest.mark.django_db
def test_deferred_rollups_roll_back_with_their_events():
    event_record_many(events=_events(1, key_prefix="before"))

    def failed_import():
        with transaction.atomic(), event_rollups_deferred():
            event_record_many(events=_events(3, key_prefix="lost"))
            raise ValueError("the import failed")

    with pytest.raises(ValueError, match="the import failed"):
        failed_import()
    assert _rollups() == [("u1", date(2026, 3, 10), "meal_plan_created", 1)]
    assert Person.objects.get(external_id="u1").last_seen_at == T


@pytest.mark.django_db(transaction=True)
def test_deferred_rollups_need_a_transaction():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writes rollups with each batch: nothing is deferred")
    with pytest.raises(RuntimeError, match="needs a transaction"), event_rollups_deferred():
        pass
