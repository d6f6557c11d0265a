"""Export the set as CSV: plan, MRR, health and tickets of each person."""

from collections.abc import Sequence

from opsroom.core.services.audit import AuditContext
from opsroom.user360.bulk.base import BulkAction, Data
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.selectors.lists import people_export_rows
from opsroom.user360.services.bulk import EXPORT_LIMIT_FACTOR, BulkOutcome, bulk_export_record


def _run(ids: Sequence[int], data: Data, query: PeopleQuery, audit: AuditContext) -> BulkOutcome:
    bulk_export_record(count=len(ids), query=query, audit=audit)
    return BulkOutcome(
        "export",
        len(ids),
        f"Exported {len(ids):,} people.",
        rows=people_export_rows(person_ids=list(ids)),
        filename="people.csv",
    )


EXPORT = BulkAction(
    key="export",
    label="Export CSV",
    verb="export",
    permissions=("people.export_people",),
    fields=(),
    clean=lambda data: {},
    confirm=lambda data: ["A CSV file with their plan, MRR, health and tickets."],
    run=_run,
    limit_factor=EXPORT_LIMIT_FACTOR,
)
