from datetime import datetime
from typing import Any

from ninja import Schema


class DriftDifferenceOut(Schema):
    kind: str  # customer, subscription, invoice, snapshot
    object_id: str
    field: str  # "record" when the object exists on one side only ("present" / "missing")
    opsroom: Any
    stripe: Any


class StripeDriftOut(Schema):
    person_id: int
    customer_id: str
    state: str  # in_sync, drift, not_configured, no_customer, stripe_error
    message: str
    checked_at: datetime
    subscriptions_compared: int
    invoices_compared: int
    differences: list[DriftDifferenceOut]
