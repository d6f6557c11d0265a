"""Add a staff note to a person."""

from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.people.services import note_create
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import NoteActionForm
from opsroom.user360.schemas import ActionIn


def _form(data: Data | None, person: Person, initial: Data) -> NoteActionForm:
    return NoteActionForm(data, initial=initial)


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    return [("Note", data["body"]), ("Pinned", "yes" if data.get("is_pinned") else "no")]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    note = note_create(
        person=person, body=data["body"], audit=audit, is_pinned=data.get("is_pinned", False)
    )
    return ActionOutcome("Note added.", "note added", str(note.pk))


def _from_api(data: ActionIn) -> Data:
    return {"body": data.body}


NOTE = QuickAction(
    key="note",
    label="Add note",
    permissions=("people.add_note",),
    form=_form,
    preview=_preview,
    run=_run,
    from_api=_from_api,
    needs_staff=True,
)
