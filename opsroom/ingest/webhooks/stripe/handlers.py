"""What each Stripe event does, through the revenue and people services.

The state time of every object is the event's `created`: a state older than the one held is
ignored (stale), and of two states from the same second the one further along wins.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from opsroom.core.errors import Conflict
from opsroom.ingest.webhooks.stripe.objects import (
    PayloadInvalid,
    Row,
    amount,
    card_fields,
    invoice_row,
    invoice_subscription_id,
    mapping,
    object_id,
    payment_row,
    plan_row,
    required_id,
    subscription_price,
    subscription_row,
    text,
)
from opsroom.people.selectors import person_ids_by_email
from opsroom.people.services import person_ids_ensure, person_upsert
from opsroom.revenue.selectors import billing_customer_of_person, billing_customer_person_ids
from opsroom.revenue.services import (
    billing_customer_person_move,
    billing_customer_upsert_many,
    invoice_ids_by_provider_id,
    invoice_upsert_many,
    payment_attempt_upsert_many,
    plan_upsert_many,
    subscription_ids_by_provider_id,
    subscription_upsert_many,
)


@dataclass(frozen=True)
class Handled:
    outcome: str  # processed, stale, ignored or failed
    person_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class CustomerPerson:
    person_id: int
    note: str = ""  # why the customer was recorded on a placeholder person, if it was


def _named_person(customer: Row) -> int | None:
    """The person a Stripe customer names: by user id in its metadata, else by email."""
    metadata = mapping(customer.get("metadata"), "customer.metadata")
    user_id = metadata.get(settings.STRIPE_USER_ID_METADATA_KEY)
    if user_id not in (None, ""):
        external_id = str(user_id)[:128]
        return person_ids_ensure(external_ids=[external_id])[external_id]
    email = text(customer.get("email"), "customer.email", 1000).strip().lower()
    if email and len(email) <= 254:
        return person_ids_by_email(emails=[email]).get(email)
    return None


def _stored_email(value: Any) -> str:
    """The customer's email as a person's: lower-case; left empty when too long to be one."""
    email = text(value, "customer.email", 1000).strip().lower()
    return email if len(email) <= 254 else ""


def _placeholder(customer_id: str, customer: Row | None) -> int:
    external_id = f"stripe:{customer_id}"[:128]
    if customer is None:
        return person_ids_ensure(external_ids=[external_id])[external_id]
    person = person_upsert(
        external_id=external_id,
        email=_stored_email(customer.get("email")),
        name=text(customer.get("name"), "customer.name", 200),
    )
    return person.pk


def customer_person(customer_id: str, customer: Row | None = None) -> CustomerPerson:
    """The person a Stripe customer belongs to, recording the customer when first seen."""
    known = billing_customer_person_ids(provider_customer_ids=[customer_id])
    if customer_id in known:
        return CustomerPerson(known[customer_id])
    named = _named_person(customer) if customer else None
    note = ""
    if named is None:
        key = settings.STRIPE_USER_ID_METADATA_KEY
        note = (
            f"customer {customer_id} names no user (metadata '{key}' nor a known email): "
            f"recorded on the placeholder person stripe:{customer_id}"
        )
    elif billing_customer_of_person(person_id=named):
        note = (
            f"customer {customer_id} names a person who already has another billing "
            f"customer: recorded on the placeholder person stripe:{customer_id}"
        )
    person_id = _placeholder(customer_id, customer) if note or named is None else named
    billing_customer_upsert_many(
        rows=[{"provider_customer_id": customer_id, "person_id": person_id, "provider": "stripe"}]
    )
    return CustomerPerson(person_id, note)


def _customer_ref(value: Any) -> str:
    customer_id = object_id(value, "customer")
    if not customer_id:
        raise PayloadInvalid("customer: missing.")
    return customer_id


def customer_changed(event: Row, customer: Row, at: datetime) -> Handled:
    customer_id = required_id(customer, "customer")
    known = billing_customer_person_ids(provider_customer_ids=[customer_id]).get(customer_id)
    note = ""
    if known is None:
        found = customer_person(customer_id, customer)
        person_id, note = found.person_id, found.note
    else:
        person_id = known
        named = _named_person(customer)
        if named is not None and named != known:
            # The customer was first seen without its user (e.g. a subscription event came
            # first); now that it is named, its revenue records follow it.
            try:
                billing_customer_person_move(provider_customer_id=customer_id, person_id=named)
                person_id = named
            except Conflict as exc:
                return Handled("failed", known, note=f"Not applied: {exc.message}")
    billing_customer_upsert_many(
        rows=[
            {
                "provider_customer_id": customer_id,
                "person_id": person_id,
                "livemode": bool(customer.get("livemode")),
            }
        ]
    )
    return Handled("processed", person_id, note=note)


def subscription_changed(event: Row, subscription: Row, at: datetime) -> Handled:
    row = subscription_row(subscription, state_at=at)
    found = customer_person(_customer_ref(subscription.get("customer")))
    person_id = row["person_id"] = found.person_id
    price = subscription_price(subscription)
    if price is not None:
        row["plan_id"] = plan_upsert_many(rows=[plan_row(price)]).by_key[price["id"]].pk
    result = subscription_upsert_many(rows=[row], ties_by_status=True)
    return Handled("stale" if result.stale else "processed", person_id, note=found.note)


def invoice_changed(event: Row, invoice: Row, at: datetime) -> Handled:
    row = invoice_row(invoice, state_at=at)
    owner = customer_person(_customer_ref(invoice.get("customer")))
    person_id = row["person_id"] = owner.person_id
    subscription_id = invoice_subscription_id(invoice)
    if subscription_id:
        found = subscription_ids_by_provider_id(provider_ids=[subscription_id])
        if subscription_id in found:
            row["subscription_id"] = found[subscription_id]
    result = invoice_upsert_many(rows=[row], ties_by_status=True)
    return Handled("stale" if result.stale else "processed", person_id, note=owner.note)


def charge_changed(event: Row, charge: Row, at: datetime) -> Handled:
    customer_id = object_id(charge.get("customer"), "customer")
    if not customer_id:
        return Handled("ignored", note="a charge without a customer")
    row = payment_row(charge)
    card = card_fields(charge)
    found = customer_person(customer_id)
    person_id = row["person_id"] = found.person_id
    if not row["amount_refunded"]:
        del row["amount_refunded"]  # a late, older copy must not undo a refund
    invoice_id = object_id(charge.get("invoice"), "invoice")
    invoices = invoice_ids_by_provider_id(provider_ids=[invoice_id]) if invoice_id else {}
    if invoice_id in invoices:
        row["invoice_id"] = invoices[invoice_id]
    refunded = amount(charge.get("amount_refunded"), "amount_refunded")
    payment_attempt_upsert_many(rows=[row])
    if card:
        billing_customer_upsert_many(
            rows=[{"provider_customer_id": customer_id, "person_id": person_id, **card}]
        )
    if event["type"] == "charge.refunded" and invoice_id in invoices:
        invoice_upsert_many(rows=[{"provider_invoice_id": invoice_id, "amount_refunded": refunded}])
    return Handled("processed", person_id, note=found.note)


def customer_deleted(event: Row, customer: Row, at: datetime) -> Handled:
    return Handled("ignored", note="deleted customers keep their history in Opsroom")


Handler = Callable[[Row, Any, datetime], Handled]

HANDLERS: dict[str, Handler] = {
    "customer.created": customer_changed,
    "customer.updated": customer_changed,
    "customer.deleted": customer_deleted,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "customer.subscription.trial_will_end": subscription_changed,
    "customer.subscription.paused": subscription_changed,
    "customer.subscription.resumed": subscription_changed,
    "invoice.created": invoice_changed,
    "invoice.finalized": invoice_changed,
    "invoice.updated": invoice_changed,
    "invoice.paid": invoice_changed,
    "invoice.payment_succeeded": invoice_changed,
    "invoice.payment_failed": invoice_changed,
    "invoice.payment_action_required": invoice_changed,
    "invoice.voided": invoice_changed,
    "invoice.marked_uncollectible": invoice_changed,
    "charge.succeeded": charge_changed,
    "charge.failed": charge_changed,
    "charge.refunded": charge_changed,
}
