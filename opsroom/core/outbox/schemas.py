from datetime import datetime
from typing import Any

from ninja import Schema


class OutboxEntryOut(Schema):
    id: int
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    outcome: dict[str, Any]
    payload: dict[str, Any]  # redacted
    idempotency_key: str
    target_type: str
    target_id: str
    target_label: str
    actor_label: str
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None


class OutboxPage(Schema):
    count: int
    page: int
    pages: int
    status_counts: dict[str, int]
    results: list[OutboxEntryOut]


class OutboxErrorOut(Schema):
    detail: str
