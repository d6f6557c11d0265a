"""Send a templated email to everyone in the set (by a background task)."""

from collections.abc import Sequence

from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.selectors import template_get
from opsroom.people.models import Person
from opsroom.user360.bulk.base import BulkAction, Data
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.services.actions import email_draft
from opsroom.user360.services.bulk import BulkOutcome, bulk_email

# The preview is rendered for the first of this many people who can receive email.
PREVIEW_CANDIDATES = 200


def _clean(data: Data) -> Data:
    template = (data.get("template") or "").strip()
    if not template:
        raise InvalidInput("Choose the email template to send.")
    return {"template": template}


def _preview(ids: Sequence[int], data: Data) -> list[tuple[str, str]]:
    """The email as the first person of the set who can receive it would get it."""
    template = template_get(key=data["template"])
    if template is None:
        raise InvalidInput(f"There is no active email template '{data['template']}'.")
    person = (
        Person.objects.filter(id__in=list(ids)[:PREVIEW_CANDIDATES], status="active")
        .exclude(email="")
        .order_by("id")
        .first()
    )
    if person is None:
        return [("Template", template.name), ("Preview", "No one in the set can receive email.")]
    draft = email_draft(person=person, template_key=template.key)
    return [
        ("Template", template.name),
        ("For example, to", f"{person.display_name} <{person.email}>"),
        ("Subject", draft.subject),
        ("Message", draft.body),
    ]


def _run(ids: Sequence[int], data: Data, query: PeopleQuery, audit: AuditContext) -> BulkOutcome:
    return bulk_email(person_ids=ids, template_key=data["template"], query=query, audit=audit)


EMAIL = BulkAction(
    key="email",
    label="Send a templated email",
    verb="email",
    permissions=("people.bulk_act_on_people", "people.email_person"),
    fields=("template",),
    clean=_clean,
    confirm=lambda data: [
        f"Template: {data['template']} (people without an email address or an active account "
        "are skipped)"
    ],
    run=_run,
    preview=_preview,
)
