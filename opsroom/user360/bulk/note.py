"""Add the same staff note to everyone in the set."""

from collections.abc import Sequence

from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext
from opsroom.user360.bulk.base import BulkAction, Data
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.services.bulk import BulkOutcome, bulk_note


def _clean(data: Data) -> Data:
    note = (data.get("note") or "").strip()
    if not note:
        raise InvalidInput("Write the note to add.")
    return {"note": note}


def _run(ids: Sequence[int], data: Data, query: PeopleQuery, audit: AuditContext) -> BulkOutcome:
    return bulk_note(person_ids=ids, body=data["note"], query=query, audit=audit)


NOTE = BulkAction(
    key="note",
    label="Add a note",
    verb="add a note to",
    permissions=("people.bulk_act_on_people", "people.add_note"),
    fields=("note",),
    clean=_clean,
    confirm=lambda data: [f"Note: “{data['note']}”"],
    run=_run,
)
