"""What operators enter or correct: a billing customer given to another person, marketing spend."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.revenue.metrics.services import mrr_dirty_mark
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    MarketingSpend,
    PaymentAttempt,
    Subscription,
    SubscriptionChange,
)


@transaction.atomic
def billing_customer_person_move(*, provider_customer_id: str, person_id: int) -> int:
    """Give a billing customer, and the revenue records of the person it belonged to, to another
    person (a provider customer first seen without its user, then named); return rows moved."""
    customer = BillingCustomer.objects.select_for_update().get(
        provider_customer_id=provider_customer_id
    )
    old_person_id = customer.person_id
    if old_person_id == person_id:
        return 0
    if BillingCustomer.objects.filter(person_id=person_id).exists():
        raise Conflict("That person already has a billing customer.")
    moved = 0
    for model in (Subscription, SubscriptionChange, Invoice, PaymentAttempt, BillingCustomer):
        moved += model.objects.filter(person_id=old_person_id).update(person_id=person_id)
    mrr_dirty_mark(person_ids=[old_person_id, person_id])
    return moved


@dataclass(frozen=True)
class SpendRow:
    channel: str
    month: date  # any day of the month; stored as its first day
    amount: int  # minor units
    currency: str
    campaign: str = ""
    note: str = ""


@transaction.atomic
def marketing_spend_record_many(
    *, rows: Sequence[SpendRow], audit: AuditContext | None = None
) -> tuple[int, int]:
    """Record spend per channel, campaign and month (a later row for the same month replaces
    it); return (created, updated). Staff entries are audited."""
    created = updated = 0
    for row in rows:
        channel = row.channel.strip()
        if not channel:
            raise InvalidInput("Marketing spend needs a channel.")
        if row.amount < 0:
            raise InvalidInput("Marketing spend cannot be negative.")
        currency = row.currency.strip().lower()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"'{row.currency}' is not a three-letter currency code.")
        spend, is_new = MarketingSpend.objects.update_or_create(
            channel=channel,
            campaign=row.campaign.strip(),
            month=row.month.replace(day=1),
            currency=currency,
            defaults={"amount": row.amount, "note": row.note.strip(), "updated_at": clock.now()},
        )
        created += is_new
        updated += not is_new
        if audit is not None:
            audit_record(
                audit,
                action="revenue.marketing_spend_set",
                target=spend,
                params={
                    "channel": spend.channel,
                    "campaign": spend.campaign,
                    "month": f"{spend.month:%Y-%m}",
                    "amount": spend.amount,
                    "currency": spend.currency,
                },
            )
    return created, updated
