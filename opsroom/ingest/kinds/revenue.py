"""Plans, subscriptions, invoices and payment attempts, stored through `revenue.services`.

References (a price, a subscription, an invoice) must name records already stored: an item
naming an unknown one is refused, so send plans, then subscriptions, invoices and payments.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction

from opsroom.ingest.batch import Rejection, StoreReport
from opsroom.ingest.kinds.rows import distinct, item_row, unknown_reference
from opsroom.people.services import person_ids_ensure
from opsroom.revenue.selectors import plan_terms_by_price
from opsroom.revenue.services import (
    SpendRow,
    invoice_ids_by_provider_id,
    invoice_upsert_many,
    marketing_spend_record_many,
    payment_attempt_upsert_many,
    plan_upsert_many,
    subscription_ids_by_provider_id,
    subscription_upsert_many,
)

_PLAN_TERMS = ("amount", "currency", "interval", "interval_count")


def _split(
    items: Sequence[tuple[int, Any]], refusals: list[tuple[int, str, str]]
) -> tuple[list[tuple[int, Any]], list[Rejection]]:
    refused = {index for index, _, _ in refusals}
    kept = [(index, item) for index, item in items if index not in refused]
    return kept, [Rejection(index, field, reason) for index, field, reason in refusals]


def plans_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    rows = [item_row(item, rename={"price_id": "provider_price_id"}) for _, item in items]
    result = plan_upsert_many(rows=rows)
    return StoreReport(created=len(result.created), updated=len(result.updated))


@transaction.atomic
def subscriptions_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    plans = plan_terms_by_price(price_ids=distinct(item.price_id for _, item in items))
    items, rejected = _split(items, unknown_reference(items, "price_id", set(plans), "plan"))
    people = person_ids_ensure(external_ids=(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(
            item,
            rename={
                "subscription_id": "provider_subscription_id",
                "updated_at": "source_updated_at",
            },
            exclude={"user_id", "price_id"},
        )
        row["person_id"] = people[item.user_id]
        if item.price_id:
            plan = plans[item.price_id]
            row["plan_id"] = plan.id
            for name in _PLAN_TERMS:
                row.setdefault(name, getattr(plan, name))
        rows.append(row)
    result = subscription_upsert_many(rows=rows, ties_by_status=True)
    return StoreReport(created=len(result.created), updated=len(result.updated), rejected=rejected)


@transaction.atomic
def invoices_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    subscriptions = subscription_ids_by_provider_id(
        provider_ids=distinct(item.subscription_id for _, item in items)
    )
    refusals = unknown_reference(items, "subscription_id", subscriptions, "subscription")
    items, rejected = _split(items, refusals)
    people = person_ids_ensure(external_ids=(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(
            item,
            rename={"invoice_id": "provider_invoice_id", "updated_at": "source_updated_at"},
            exclude={"user_id", "subscription_id"},
        )
        row["person_id"] = people[item.user_id]
        if item.subscription_id:
            row["subscription_id"] = subscriptions[item.subscription_id]
        rows.append(row)
    result = invoice_upsert_many(rows=rows, ties_by_status=True)
    return StoreReport(created=len(result.created), updated=len(result.updated), rejected=rejected)


@transaction.atomic
def payments_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    invoices = invoice_ids_by_provider_id(
        provider_ids=distinct(item.invoice_id for _, item in items)
    )
    subscriptions = subscription_ids_by_provider_id(
        provider_ids=distinct(item.subscription_id for _, item in items)
    )
    items, rejected = _split(
        items,
        unknown_reference(items, "invoice_id", invoices, "invoice")
        + unknown_reference(items, "subscription_id", subscriptions, "subscription"),
    )
    people = person_ids_ensure(external_ids=(item.user_id for _, item in items))
    rows = []
    for _, item in items:
        row = item_row(
            item,
            rename={"payment_id": "provider_attempt_id"},
            exclude={"user_id", "invoice_id", "subscription_id"},
        )
        row["person_id"] = people[item.user_id]
        if item.invoice_id:
            row["invoice_id"] = invoices[item.invoice_id]
        if item.subscription_id:
            row["subscription_id"] = subscriptions[item.subscription_id]
        rows.append(row)
    result = payment_attempt_upsert_many(rows=rows)
    return StoreReport(created=len(result.created), updated=len(result.updated), rejected=rejected)


def marketing_spend_store(items: Sequence[tuple[int, Any]], source: str) -> StoreReport:
    rows = [
        SpendRow(
            channel=item.channel,
            campaign=item.campaign,
            month=date.fromisoformat(f"{item.month}-01"),
            amount=item.amount,
            currency=item.currency,
            note=item.note,
        )
        for _, item in items
    ]
    created, updated = marketing_spend_record_many(rows=rows)
    return StoreReport(created=created, updated=updated)
