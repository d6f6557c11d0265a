"""Writes the quick and bulk actions share: an email drafted and sent to a person, tags."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_get
from opsroom.messaging.services import email_send, template_render
from opsroom.people.models import Person, Tag
from opsroom.people.services.persons import person_tags_add

if TYPE_CHECKING:
    from opsroom.messaging.models import EmailMessage


@dataclass(frozen=True)
class EmailDraft:
    subject: str
    body: str
    template_key: str = ""


def email_draft(
    *, person: Person, template_key: str = "", subject: str = "", body: str = ""
) -> EmailDraft:
    """The email a quick action would send: a template rendered for the person, or free text."""
    if template_key:
        template = template_get(key=template_key)
        if template is None:
            raise InvalidInput(f"There is no active email template '{template_key}'.")
        return EmailDraft(
            subject=template_render(template.subject, person=person).strip(),
            body=template_render(template.body_text, person=person),
            template_key=template.key,
        )
    if not subject.strip() or not body.strip():
        raise InvalidInput("Choose a template, or write a subject and a message.")
    return EmailDraft(subject=subject.strip(), body=body)


def person_email(*, person: Person, draft: EmailDraft, audit: AuditContext) -> "EmailMessage":
    """Send an email to a person now (recorded on their timeline; audited by messaging)."""
    template = template_get(key=draft.template_key) if draft.template_key else None
    return email_send(
        person=person, subject=draft.subject, body_text=draft.body, audit=audit, template=template
    )


@transaction.atomic
def person_tag(
    *, people: Sequence[Person], tag_names: Sequence[str], audit: AuditContext
) -> list[Tag]:
    """Tag people, with one audit entry per person."""
    tags = person_tags_add(people=people, tag_names=tag_names)
    for person in people:
        audit_record(
            audit,
            action="person.tag_add",
            target=person,
            params={"tags": [tag.name for tag in tags]},
        )
    return tags
