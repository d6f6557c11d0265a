from datetime import UTC, datetime

import pytest

from opsroom.core import clock
from opsroom.core.upsert import rows_upsert
from opsroom.people.models import Person

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.django_db
def test_resending_the_same_rows_changes_nothing():
    rows = [{"external_id": "a", "email": "a@x.io"}, {"external_id": "b", "email": "b@x.io"}]
    with clock.clock_frozen_at(T0):
        first = rows_upsert(Person, key_field="external_id", rows=rows)
    with clock.clock_frozen_at(T1):
        second = rows_upsert(Person, key_field="external_id", rows=rows)
    assert (len(first.created), len(second.created), len(second.unchanged)) == (2, 0, 2)
    assert set(Person.objects.values_list("updated_at", flat=True)) == {T0}


@pytest.mark.django_db
def test_a_partial_row_updates_only_its_fields_and_reports_previous_values():
    rows_upsert(
        Person, key_field="external_id", rows=[{"external_id": "a", "email": "a@x.io", "name": "A"}]
    )
    with clock.clock_frozen_at(T1):
        result = rows_upsert(
            Person, key_field="external_id", rows=[{"external_id": "a", "name": "Ann"}]
        )
    person = Person.objects.get()
    assert (person.email, person.name, person.updated_at) == ("a@x.io", "Ann", T1)
    assert result.previous == {"a": {"name": "A"}}


@pytest.mark.django_db
def test_the_last_row_for_a_key_in_a_batch_wins():
    rows_upsert(
        Person,
        key_field="external_id",
        rows=[{"external_id": "a", "name": "first"}, {"external_id": "a", "name": "second"}],
    )
    assert list(Person.objects.values_list("name", flat=True)) == ["second"]


@pytest.mark.django_db
def test_a_guard_keeps_newer_state():
    rows_upsert(Person, key_field="external_id", rows=[{"external_id": "a", "name": "new"}])
    result = rows_upsert(
        Person,
        key_field="external_id",
        rows=[{"external_id": "a", "name": "old"}],
        guard=lambda existing, row: False,
    )
    assert len(result.stale) == 1
    assert Person.objects.get().name == "new"
