"""What a quick action on one person is: its form, what it will do, who may, and doing it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest

from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.user360.schemas import ActionIn

Data = dict[str, Any]


@dataclass(frozen=True)
class ActionOutcome:
    message: str  # what the staff member is told
    detail: str  # the short result the API reports ("sent", "note added")
    object_id: str = ""  # the email, note, ticket or subscription made
    ok: bool = True
    # A page to show instead of returning to the person (impersonation shows its token).
    page: str = ""
    page_context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QuickAction:
    """One quick action. Services write the audit entries; `permissions` are checked first."""

    key: str
    label: str
    permissions: tuple[str, ...]
    # The form for a person: (submitted data or None, person, initial values) -> form.
    form: Callable[[Data | None, Person, Data], forms.Form]
    # What it will do, as (name, value) lines to confirm; a DomainError when it cannot.
    preview: Callable[[Person, Data, AuditContext], list[tuple[str, str]]]
    # Do it (after confirmation), acting as `staff` (None: an API key).
    run: Callable[[Person, Data, AuditContext, User | None], ActionOutcome]
    # The form data an API call amounts to; None: not offered in the API.
    from_api: Callable[[ActionIn], Data] | None = None
    # Starting values of the form when the page opens it.
    initial: Callable[[Person, HttpRequest], Data] = lambda person, request: {}
    # Staff only: an API key cannot do it on its own (e.g. a note needs an author).
    needs_staff: bool = False
