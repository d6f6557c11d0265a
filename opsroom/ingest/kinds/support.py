"""Tickets and ticket messages, stored through `support.services`."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from opsroom.ingest.batch import Rejection, StoreReport
from opsroom.ingest.kinds.rows import distinct, item_row, unknown_reference
from opsroom.people.services import person_ids_ensure
from opsroom.support.selectors import ticket_ids_by_external_id
from opsroom.support.services import ticket_message_upsert_many, ticket_upsert_many

# Tickets and messages always have these times: a null one is the same as leaving it out.
_ALWAYS_SET = ("created_at", "updated_at")


def _row(item: Any, rename: dict[str, str], exclude: set[str]) -> dict[str, Any]:
    row = item_row(item, rename=rename, exclude=exclude)
    for name in _ALWAYS_SET:
        if name in row and row[name] is None:
            del row[name]
    return row


@transaction.atomic
def tickets_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    people = person_ids_ensure(external_ids=(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = _row(item, rename={"ticket_id": "external_id"}, exclude={"user_id"})
        row["requester_id"] = people[item.user_id]
        rows.append(row)
    result = ticket_upsert_many(rows=rows)
    return StoreReport(created=len(result.created), updated=len(result.updated))


@transaction.atomic
def ticket_messages_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    tickets = ticket_ids_by_external_id(external_ids=distinct(item.ticket_id for _, item in items))
    refusals = unknown_reference(items, "ticket_id", tickets, "ticket")
    refused = {index for index, _, _ in refusals}
    rows = []
    for index, item in items:
        if index in refused:
            continue
        row = _row(item, rename={"message_id": "external_id"}, exclude={"ticket_id"})
        row["ticket_id"] = tickets[item.ticket_id]
        rows.append(row)
    result = ticket_message_upsert_many(rows=rows) if rows else None
    return StoreReport(
        created=len(result.created) if result else 0,
        updated=len(result.updated) if result else 0,
        rejected=[Rejection(*refusal) for refusal in refusals],
    )
