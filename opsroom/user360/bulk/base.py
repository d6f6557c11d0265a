"""What a bulk action on a filtered set of people is: its inputs, who may, the confirmation,
and doing it to the confirmed set."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opsroom.core.services.audit import AuditContext
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.services.bulk import BulkOutcome

Data = dict[str, Any]


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str
    verb: str  # what it does to each person: "This will {verb} 76 people"
    permissions: tuple[str, ...]
    fields: tuple[str, ...]  # the bulk form's inputs it uses: tags, note, template
    # Its inputs checked and normalised; InvalidInput when one is missing or wrong.
    clean: Callable[[Data], Data]
    # Lines the confirmation page lists about it, from the cleaned inputs.
    confirm: Callable[[Data], list[str]]
    run: Callable[[Sequence[int], Data, PeopleQuery, AuditContext], BulkOutcome]
    # How many times the bulk limit a set may be (exports stream, so they may be larger).
    limit_factor: int = 1
    # What one person of the set would get, as (name, value) lines (the email a bulk send
    # delivers, rendered for the first person who can receive it); None: nothing to show.
    preview: Callable[[Sequence[int], Data], list[tuple[str, str]]] | None = None
