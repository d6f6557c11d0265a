"""Impersonate a person: a short-lived, audited token the host app signs them in with."""

from opsroom.core.errors import Forbidden
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.people.services.impersonation import impersonation_check, impersonation_start
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import ImpersonateForm


def _form(data: Data | None, person: Person, initial: Data) -> ImpersonateForm:
    return ImpersonateForm(data, initial=initial)


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    impersonation_check(person=person, reason=data["reason"], minutes=data["minutes"], audit=audit)
    return [
        ("Sign in as", f"{person.display_name} ({person.external_id})"),
        ("For", f"{data['minutes']} minutes, then the token expires"),
        ("Reason", data["reason"]),
    ]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    if staff is None:
        raise Forbidden("Only a signed-in staff member may impersonate.")
    started = impersonation_start(
        person=person, staff=staff, reason=data["reason"], minutes=data["minutes"], audit=audit
    )
    return ActionOutcome(
        "Impersonation started.",
        "impersonation started",
        started.grant.token_id,
        page="user360/impersonation_started.html",
        page_context={"started": started, "grant": started.grant},
    )


IMPERSONATE = QuickAction(
    key="impersonate",
    label="Impersonate (safe login)",
    permissions=("people.impersonate_person",),
    form=_form,
    preview=_preview,
    run=_run,
    needs_staff=True,
)
