"""What one simulated day produced, as rows for the owning apps' services, and id making.

Rows name related records by natural key under underscore fields (`_person` is an external
id, `_plan` a price id, `_subscription` / `_invoice` provider ids, `_ticket` an external id,
`_template` / `_sequence` keys); the writer turns them into database ids.
"""

import random
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opsroom.people.services import EventData

Row = dict[str, Any]
_ALPHANUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits


class Ids:
    """Deterministic, provider-looking identifiers, drawn from their own random stream."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"opsroom-demo-ids:{seed}")
        self.seed = seed
        self._events = 0
        self._people: set[str] = set()

    def stripe(self, prefix: str, length: int = 24) -> str:
        return prefix + "".join(self._rng.choices(_ALPHANUM, k=length))

    def person(self) -> str:
        external_id = "u_" + "".join(self._rng.choices(_LOWER, k=10))
        while external_id in self._people:
            external_id = "u_" + "".join(self._rng.choices(_LOWER, k=10))
        self._people.add(external_id)
        return external_id

    def hex(self, bits: int = 128) -> str:
        return f"{self._rng.getrandbits(bits):0{bits // 4}x}"

    def event_key(self) -> str:
        self._events += 1
        return f"lb{self.seed}-{self._events}"


@dataclass
class Batch:
    """The rows of one flush, grouped by record type."""

    people: dict[str, Row] = field(default_factory=dict)
    customers: dict[str, Row] = field(default_factory=dict)
    subscriptions: list[Row] = field(default_factory=list)
    invoices: dict[str, Row] = field(default_factory=dict)
    attempts: list[Row] = field(default_factory=list)
    events: list[EventData] = field(default_factory=list)
    errors: list[Row] = field(default_factory=list)
    api_requests: list[Row] = field(default_factory=list)
    ai_usage: list[Row] = field(default_factory=list)
    exposures: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    tickets: list[Row] = field(default_factory=list)
    ticket_messages: list[Row] = field(default_factory=list)
    emails: list[Row] = field(default_factory=list)
    enrollments: list[Row] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str, str, datetime]] = field(default_factory=list)

    def absorb(self, other: "Batch") -> None:
        """Take over another batch's rows of the kinds written weekly, in order."""
        self.customers.update(other.customers)
        self.subscriptions += other.subscriptions
        self.invoices.update(other.invoices)
        self.attempts += other.attempts
        self.exposures += other.exposures
        self.tickets += other.tickets
        self.ticket_messages += other.ticket_messages
        self.emails += other.emails
        self.enrollments += other.enrollments
        self.tags += other.tags
        self.notes += other.notes

    def person(self, external_id: str, **fields: Any) -> None:
        """Set fields on a person; several calls in one batch merge (attributes key by key)."""
        row = self.people.setdefault(external_id, {"external_id": external_id})
        for name, value in fields.items():
            if name == "attributes" and "attributes" in row:
                row["attributes"] = {**row["attributes"], **value}
            else:
                row[name] = value

    def event(
        self, sim_person: Any, name: str, at: datetime, properties: dict[str, Any], key: str
    ) -> None:
        self.events.append(
            EventData(
                person_external_id=sim_person.external_id,
                name=name,
                occurred_at=at,
                properties=properties,
                source="demo",
                idempotency_key=key,
            )
        )


@dataclass(frozen=True)
class TicketTruth:
    """What a ticket really was, as the simulation knows it: for the demo agents' corrections
    of the copilot's analysis (`opsroom/demo/review.py`)."""

    severity: str  # the priority the help desk gave it
    is_blocking: bool
    feature: str | None  # the endpoint that failed; None when the simulation does not know
