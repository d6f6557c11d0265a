from datetime import UTC, datetime, timedelta

import pytest

from opsroom.experiments.models import Exposure
from opsroom.experiments.services import exposure_record_many, flag_ids_ensure
from opsroom.people.tests.factories import PersonFactory

T = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_exposures_keep_first_and_last_and_are_idempotent():
    person = PersonFactory()
    flag_id = flag_ids_ensure(keys=["new_recipe_ui"])["new_recipe_ui"]
    rows = [(person.pk, flag_id, "on", T), (person.pk, flag_id, "on", T + timedelta(days=3))]
    exposure_record_many(rows=rows)
    exposure_record_many(rows=rows)
    exposure_record_many(rows=[(person.pk, flag_id, "on", T - timedelta(days=1))])
    exposure = Exposure.objects.get()
    assert (exposure.first_exposed_at, exposure.last_exposed_at) == (
        T - timedelta(days=1),
        T + timedelta(days=3),
    )
