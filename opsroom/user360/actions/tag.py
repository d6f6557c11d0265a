"""Tag a person."""

from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import TagActionForm
from opsroom.user360.schemas import ActionIn
from opsroom.user360.services.actions import person_tag


def _form(data: Data | None, person: Person, initial: Data) -> TagActionForm:
    return TagActionForm(data, initial=initial)


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    return [("Tags", ", ".join(data["tags"]))]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    names = ", ".join(
        tag.name for tag in person_tag(people=[person], tag_names=data["tags"], audit=audit)
    )
    return ActionOutcome(f"Tagged with {names}.", names)


def _from_api(data: ActionIn) -> Data:
    return {"tags": ", ".join(data.tags)}


TAG = QuickAction(
    key="tag",
    label="Add tags",
    permissions=("people.add_tag",),
    form=_form,
    preview=_preview,
    run=_run,
    from_api=_from_api,
)
