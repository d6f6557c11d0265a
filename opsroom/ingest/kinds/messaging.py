"""Emails and their tracking events, stored through `messaging.services`."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from opsroom.ingest.batch import Rejection, StoreReport
from opsroom.ingest.kinds.rows import distinct, item_row
from opsroom.messaging.services import email_message_upsert_many, email_tracking_apply_many
from opsroom.people.services import person_ids_ensure


@transaction.atomic
def emails_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    people = person_ids_ensure(external_ids=distinct(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(item, rename={"message_id": "provider_message_id"}, exclude={"user_id"})
        if item.user_id:
            row["person_id"] = people[item.user_id]
        rows.append(row)
    result = email_message_upsert_many(rows=rows)
    return StoreReport(created=len(result.created), updated=len(result.updated))


def email_events_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    unknown = email_tracking_apply_many(
        events=[(item.message_id, item.event, item.occurred_at) for _, item in items]
    )
    rejected = [
        Rejection(index, "message_id", "unknown message_id: send the email to /emails first")
        for index, item in items
        if item.message_id in unknown
    ]
    return StoreReport(updated=len(items) - len(rejected), rejected=rejected)
