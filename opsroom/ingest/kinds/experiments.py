"""Flag exposures, stored through `experiments.services`."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from opsroom.experiments.services import exposure_record_many, flag_ids_ensure
from opsroom.ingest.batch import StoreReport
from opsroom.people.services import person_ids_ensure


@transaction.atomic
def exposures_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    people = person_ids_ensure(external_ids=(item.user_id for _, item in items))
    flags = flag_ids_ensure(keys=[item.flag for _, item in items])
    exposure_record_many(
        rows=[
            (people[item.user_id], flags[item.flag], item.variant, item.exposed_at)
            for _, item in items
        ]
    )
    # Exposures only widen first/last times; each accepted one counts as recorded (updated).
    return StoreReport(updated=len(items))
