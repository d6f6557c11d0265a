"""Cards, invoices and charges: Stripe's decline codes, their frequencies and retry outcomes."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from opsroom.demo.world.state import Card, InvoiceState, PersonSim, SubState

if TYPE_CHECKING:
    from opsroom.demo.world.context import World


@dataclass(frozen=True)
class Decline:
    code: str
    weight: float  # share among declines of a card that has not expired
    failure_code: str
    message: str
    retry_success: float  # chance a later automatic retry succeeds with the same card
    needs_customer: bool  # only the customer can fix it (new card, authentication)


DECLINES = {
    decline.code: decline
    for decline in (
        Decline("insufficient_funds", 44, "card_declined", "Your card has insufficient funds.",
                0.38, False),
        Decline("generic_decline", 18, "card_declined", "Your card was declined.", 0.22, False),
        Decline("do_not_honor", 11, "card_declined", "Your card was declined.", 0.18, False),
        Decline("authentication_required", 5, "authentication_required",
                "Your card was declined. This transaction requires authentication.", 0.04, True),
        Decline("processing_error", 3.5, "processing_error",
                "An error occurred while processing your card. Try again in a little bit.",
                0.8, False),
        Decline("try_again_later", 2, "card_declined", "Your card was declined.", 0.7, False),
        Decline("card_velocity_exceeded", 2, "card_declined",
                "Your card has exceeded its velocity limit.", 0.45, False),
        Decline("incorrect_cvc", 2.5, "incorrect_cvc", "Your card's security code is incorrect.",
                0.0, True),
        Decline("expired_card", 2, "expired_card", "Your card has expired.", 0.0, True),
        Decline("lost_card", 1.5, "card_declined", "Your card was declined.", 0.0, True),
        Decline("stolen_card", 0.7, "card_declined", "Your card was declined.", 0.0, True),
        Decline("fraudulent", 1.2, "card_declined", "Your card was declined.", 0.0, True),
        Decline("do_not_try_again", 1, "card_declined", "Your card was declined.", 0.0, True),
    )
}  # fmt: skip
_CODES = list(DECLINES)
_CUMULATIVE = list(accumulate(decline.weight for decline in DECLINES.values()))
NO_RETRY = {"do_not_try_again", "fraudulent", "stolen_card", "lost_card"}
RETRY_DAYS = (3, 7, 14)  # automatic retries after the first failure, in days
_BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "unionpay")
_BRAND_WEIGHTS = (55, 30, 8, 4, 1.5, 1.5)


def card_new(rng: random.Random, at: datetime) -> Card:
    """A card in the wallet: brand, last four digits, an expiry months to years away."""
    months = rng.randint(3, 60)
    index = at.year * 12 + at.month - 1 + months
    brand = rng.choices(_BRANDS, weights=_BRAND_WEIGHTS)[0]
    return Card(
        brand=brand,
        last4=f"{rng.randint(0, 9999):04d}",
        exp_month=index % 12 + 1,
        exp_year=index // 12,
        auto_updates=brand in ("visa", "mastercard") and rng.random() < 0.55,
    )


def decline_draw(rng: random.Random) -> str:
    return rng.choices(_CODES, cum_weights=_CUMULATIVE)[0]


def customer_write(world: "World", person: PersonSim) -> None:
    card = person.card_on_file
    world.batch.customers[person.customer_id] = {
        "provider_customer_id": person.customer_id,
        "_person": person.external_id,
        "card_brand": card.brand,
        "card_last4": card.last4,
        "card_exp_month": card.exp_month,
        "card_exp_year": card.exp_year,
        "livemode": True,
        "created_at": person.customer_since,
    }


def customer_ensure(world: "World", person: PersonSim, at: datetime) -> None:
    """Create the person's Stripe customer, with a card, the first time they pay."""
    if person.customer_id:
        return
    person.customer_id = world.ids.stripe("cus_", 14)
    person.customer_since = at
    person.customer_prefix = world.ids.hex(32).upper()
    person.card = card_new(world.rng, at)
    customer_write(world, person)


def invoice_new(
    world: "World",
    person: PersonSim,
    sub: SubState,
    at: datetime,
    *,
    reason: str,
    period_end: datetime,
    subtotal: int,
) -> InvoiceState:
    """Issue an invoice for a period: discount while the coupon lasts, VAT where it applies."""
    discount = 0
    if sub.coupon is not None and (sub.discount_ends_at is None or at < sub.discount_ends_at):
        discount = round(subtotal * sub.coupon.percent / 100)
    tax = round((subtotal - discount) * person.country.vat_percent / 100)
    person.invoice_seq += 1
    invoice = InvoiceState(
        invoice_id=world.ids.stripe("in_"),
        number=f"{person.customer_prefix}-{person.invoice_seq:04d}",
        subtotal=subtotal,
        discount=discount,
        tax=tax,
        period_start=at,
        period_end=period_end,
        issued_at=at,
        billing_reason=reason,
    )
    if invoice.total == 0:
        invoice.status, invoice.paid_at = "paid", at
    invoice_write(world, person, sub, invoice, at)
    return invoice


def invoice_write(
    world: "World", person: PersonSim, sub: SubState, invoice: InvoiceState, at: datetime
) -> None:
    paid = invoice.total if invoice.status == "paid" else 0
    world.batch.invoices[invoice.invoice_id] = {
        "provider_invoice_id": invoice.invoice_id,
        "_person": person.external_id,
        "_subscription": sub.sub_id,
        "number": invoice.number,
        "status": invoice.status,
        "billing_reason": invoice.billing_reason,
        "currency": "usd",
        "subtotal": invoice.subtotal,
        "discount": invoice.discount,
        "tax": invoice.tax,
        "total": invoice.total,
        "amount_due": invoice.total,
        "amount_paid": paid,
        "amount_refunded": invoice.amount_refunded,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "issued_at": invoice.issued_at,
        "due_at": invoice.issued_at,
        "paid_at": invoice.paid_at,
        "voided_at": at if invoice.status == "void" else None,
        "attempt_count": invoice.attempts,
        "next_payment_attempt_at": invoice.next_attempt_at,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_1LbDemoLittleBites/{invoice.invoice_id}",
        "source_updated_at": at,
        "created_at": invoice.issued_at,
    }


def charge(
    world: "World",
    person: PersonSim,
    sub: SubState,
    invoice: InvoiceState,
    at: datetime,
    *,
    decline: str | None,
    next_retry_at: datetime | None = None,
) -> dict[str, Any]:
    """Record one attempt to collect an invoice (decline None: it succeeded)."""
    card = person.card_on_file
    invoice.attempts += 1
    row: dict[str, Any] = {
        "provider_attempt_id": world.ids.stripe("ch_"),
        "_person": person.external_id,
        "_invoice": invoice.invoice_id,
        "_subscription": sub.sub_id,
        "amount": invoice.total,
        "currency": "usd",
        "status": "succeeded" if decline is None else "failed",
        "attempt_number": invoice.attempts,
        "attempted_at": at,
        "next_retry_at": next_retry_at,
        "card_brand": card.brand,
        "card_last4": card.last4,
        "created_at": at,
    }
    if decline is None:
        invoice.status, invoice.paid_at, invoice.next_attempt_at = "paid", at, None
        invoice.last_charge_id = row["provider_attempt_id"]
        sub.last_charge, sub.last_paid_invoice = row, invoice
    else:
        found = DECLINES[decline]
        row.update(
            failure_code=found.failure_code, decline_code=decline, failure_message=found.message
        )
        invoice.last_decline = decline
        invoice.next_attempt_at = next_retry_at
    world.batch.attempts.append(row)
    invoice_write(world, person, sub, invoice, at)
    return row


def decline_for_charge(world: "World", person: PersonSim, at: datetime) -> str | None:
    """Whether a charge on the person's card fails now, and with which code."""
    card = person.card_on_file
    if card.is_expired(at):
        return "expired_card"
    if world.rng.random() < person.card_risk:
        return decline_draw(world.rng)
    return None


def retry_decline(world: "World", previous: str) -> str | None:
    """The outcome of an automatic retry with the same card, by decline bucket."""
    rng = world.rng
    if rng.random() < DECLINES[previous].retry_success:
        return None
    if DECLINES[previous].needs_customer or rng.random() < 0.8:
        return previous
    return rng.choice(("insufficient_funds", "generic_decline", "do_not_honor"))


def next_retry(first_failure: datetime, attempt_number: int) -> datetime | None:
    """When the automatic retry after attempt N happens (days 3, 7, 14), or None after the last."""
    if attempt_number > len(RETRY_DAYS):
        return None
    return first_failure + timedelta(days=RETRY_DAYS[attempt_number - 1], hours=1)


def refund(world: "World", person: PersonSim, sub: SubState, at: datetime) -> int:
    """Refund the last payment in full; returns the amount refunded."""
    row, invoice = sub.last_charge, sub.last_paid_invoice
    if row is None or invoice is None or row.get("amount_refunded"):
        return 0
    world.batch.attempts.append({**row, "amount_refunded": row["amount"]})
    invoice.amount_refunded = invoice.total
    invoice_write(world, person, sub, invoice, at)
    return int(row["amount"])


def money(amount: int) -> str:
    return f"${amount / 100:,.2f}"
