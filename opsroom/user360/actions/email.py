"""Send an email: a template rendered for the person, or free text."""

from django.http import HttpRequest

from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.selectors import template_list
from opsroom.people.models import Person
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import EmailActionForm
from opsroom.user360.schemas import ActionIn
from opsroom.user360.services.actions import EmailDraft, email_draft, person_email


def _form(data: Data | None, person: Person, initial: Data) -> EmailActionForm:
    templates = [(t.key, t.name) for t in template_list()]
    return EmailActionForm(data, templates=templates, initial=initial)


def _draft(person: Person, data: Data) -> EmailDraft:
    return email_draft(
        person=person,
        template_key=data.get("template") or "",
        subject=data.get("subject") or "",
        body=data.get("body") or "",
    )


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    draft = _draft(person, data)
    return [
        ("To", person.email or "(no email address)"),
        ("Subject", draft.subject),
        ("Message", draft.body),
    ]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    message = person_email(person=person, draft=_draft(person, data), audit=audit)
    if message.status == "failed":
        return ActionOutcome(
            f"The email could not be sent: {message.error}", message.status, str(message.pk), False
        )
    if message.status == "sent":
        text = f"Email '{message.subject}' sent to {message.to_email}."
    else:
        text = (
            f"Email '{message.subject}' to {message.to_email} is queued; it is sent in a moment "
            "(its state is on the timeline)."
        )
    return ActionOutcome(text, message.status, str(message.pk))


def _from_api(data: ActionIn) -> Data:
    return {"template": data.template, "subject": data.subject, "body": data.body}


def _initial(person: Person, request: HttpRequest) -> Data:
    """A template, or a draft to edit (an insight's recommendation opens the form with one)."""
    return {
        "template": request.GET.get("template", ""),
        "subject": request.GET.get("subject", "")[:300],
        "body": request.GET.get("body", "")[:5000],
    }


EMAIL = QuickAction(
    key="email",
    label="Send email",
    permissions=("people.email_person",),
    form=_form,
    preview=_preview,
    run=_run,
    from_api=_from_api,
    initial=_initial,
)
