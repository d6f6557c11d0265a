"""Tag everyone in the set."""

from collections.abc import Sequence

from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext
from opsroom.user360.bulk.base import BulkAction, Data
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.services.bulk import BulkOutcome, bulk_tag


def _clean(data: Data) -> Data:
    tags = [t.strip().lower() for t in (data.get("tags") or "").split(",") if t.strip()]
    if not tags:
        raise InvalidInput("Give at least one tag to add.")
    if any(len(tag) > 50 for tag in tags):
        raise InvalidInput("A tag is at most 50 characters.")
    return {"tags": ", ".join(tags), "tag_list": tags}


def _run(ids: Sequence[int], data: Data, query: PeopleQuery, audit: AuditContext) -> BulkOutcome:
    return bulk_tag(person_ids=ids, tag_names=data["tag_list"], query=query, audit=audit)


TAG = BulkAction(
    key="tag",
    label="Tag",
    verb="tag",
    permissions=("people.bulk_act_on_people", "people.add_tag"),
    fields=("tags",),
    clean=_clean,
    confirm=lambda data: [f"Tags: {', '.join(data['tag_list'])}"],
    run=_run,
)
