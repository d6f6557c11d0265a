"""Send a templated email to everyone in the set (by a background task)."""

from collections.abc import Sequence

from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext
from opsroom.user360.bulk.base import BulkAction, Data
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.services.bulk import BulkOutcome, bulk_email


def _clean(data: Data) -> Data:
    template = (data.get("template") or "").strip()
    if not template:
        raise InvalidInput("Choose the email template to send.")
    return {"template": template}


def _run(ids: Sequence[int], data: Data, query: PeopleQuery, audit: AuditContext) -> BulkOutcome:
    return bulk_email(person_ids=ids, template_key=data["template"], query=query, audit=audit)


EMAIL = BulkAction(
    key="email",
    label="Send a templated email",
    permissions=("people.bulk_act_on_people", "people.email_person"),
    fields=("template",),
    clean=_clean,
    confirm=lambda data: [
        f"Template: {data['template']} (people without an email address or an active account "
        "are skipped)"
    ],
    run=_run,
)
