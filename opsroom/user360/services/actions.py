"""Quick actions on one person: email, complimentary subscription, note, ticket, tags.

Each goes through the owning app's service and writes an audit entry; the permission each
needs is in ACTION_PERMISSIONS, checked by the views and the API before calling these.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from opsroom.core.errors import InvalidInput
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_get
from opsroom.messaging.services import email_send, template_render
from opsroom.people.models import Note, Person, Tag
from opsroom.people.services.persons import note_create, person_tags_add
from opsroom.revenue.services import subscription_complimentary_grant
from opsroom.support.services import ticket_create

if TYPE_CHECKING:
    from opsroom.messaging.models import EmailMessage
    from opsroom.revenue.models import Plan, Subscription
    from opsroom.support.models import Ticket

ACTION_PERMISSIONS = {
    "email": ("people.email_person",),
    "comp": ("revenue.grant_complimentary_subscription",),
    "note": ("people.add_note",),
    "ticket": ("support.add_ticket",),
    "tag": ("people.add_tag",),
    "impersonate": ("people.impersonate_person",),
}
ACTION_LABELS = {
    "email": "Send email",
    "comp": "Grant complimentary subscription",
    "note": "Add note",
    "ticket": "Create ticket",
    "tag": "Add tags",
    "impersonate": "Impersonate (safe login)",
}


def actions_allowed(user: User) -> set[str]:
    """The quick actions a staff user may take."""
    return {
        action
        for action, permissions in ACTION_PERMISSIONS.items()
        if user.is_active and user.is_staff and user.has_perms(permissions)
    }


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


def person_note(*, person: Person, body: str, audit: AuditContext, is_pinned: bool = False) -> Note:
    """Add a staff note to a person (audited by the note service)."""
    return note_create(person=person, body=body, audit=audit, is_pinned=is_pinned)


def person_comp_grant(
    *, person: Person, plan: "Plan", months: int, audit: AuditContext, reason: str = ""
) -> "Subscription":
    """Grant complimentary months of a plan (recorded, and applied in Stripe when set up)."""
    return subscription_complimentary_grant(
        person=person, plan=plan, months=months, audit=audit, reason=reason
    )


def person_ticket(
    *, person: Person, subject: str, body: str, priority: str, audit: AuditContext
) -> "Ticket":
    """Open a ticket for a person, written by staff (audited by the ticket service)."""
    return ticket_create(
        requester=person,
        subject=subject,
        body=body,
        channel="web",
        priority=priority,
        audit=audit,
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
