"""Failed payments: dunning emails, automatic retries on days 3, 7 and 14, card updates.

Recovery depends on the decline: soft declines often pass on a retry, hard ones (lost or
expired card, fraud) only when the customer puts in a new card, which engaged families do more.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from opsroom.demo.world import billing, mail, payments, support
from opsroom.demo.world.events import emit
from opsroom.demo.world.state import PersonSim, SubState, sigmoid
from opsroom.demo.world.traffic import api_call, payment_method_bodies

if TYPE_CHECKING:
    from opsroom.demo.world.context import World


def payment_failed(
    world: "World", person: PersonSim, sub: SubState, at: datetime, decline: str
) -> None:
    rng = world.rng
    person.boost -= 0.35
    person.pay_trouble += 1.0
    mail.enroll(world, person, "dunning", at)
    support.after_payment_failure(world, person, sub, decline, at)
    if decline in ("fraudulent", "stolen_card") and rng.random() < 0.4:
        person.schedule(at + timedelta(hours=rng.randint(6, 60)), "ban", "fraud")
        return
    # Families who never see the dunning emails rarely fix their card.
    willing = 0.12 if person.email_bounces else 0.18 + 0.45 * sigmoid(person.engagement(at) + 0.5)
    if rng.random() < willing:
        person.schedule(at + timedelta(hours=rng.uniform(6, 320)), "card_fix", sub.sub_id)


def retry(world: "World", person: PersonSim, at: datetime, sub_id: str) -> None:
    """An automatic retry of the invoice being collected."""
    sub = person.sub
    if sub is None or sub.sub_id != sub_id or sub.invoice is None or sub.status != "past_due":
        return
    invoice, first = sub.invoice, sub.dunning_since
    if first is None:
        raise RuntimeError(f"simulation: {person.external_id} is past due with no dunning start")
    decline = payments.retry_decline(world, invoice.last_decline)
    attempt = invoice.attempts + 1
    retry_at = None if decline in payments.NO_RETRY else payments.next_retry(first, attempt)
    payments.charge(world, person, sub, invoice, at, decline=decline, next_retry_at=retry_at)
    if decline is None:
        recovered(world, person, sub, at)
    elif retry_at is not None:
        person.schedule(retry_at, "retry", sub.sub_id)


def card_fix(world: "World", person: PersonSim, at: datetime, sub_id: str) -> None:
    """The customer updates the card (or authenticates) and the open invoice is paid."""
    sub = person.sub
    if sub is None or sub.sub_id != sub_id or sub.invoice is None:
        return
    if sub.status not in ("past_due", "unpaid") or person.status != "active":
        return
    invoice = sub.invoice
    if invoice.last_decline != "authentication_required":
        card_replace(world, person, at, keep_number=False)
    decline = None if world.rng.random() < 0.93 else "insufficient_funds"
    payments.charge(world, person, sub, invoice, at + timedelta(seconds=20), decline=decline,
                    next_retry_at=invoice.next_attempt_at)  # fmt: skip
    if decline is None:
        recovered(world, person, sub, at + timedelta(seconds=20))


def card_replace(world: "World", person: PersonSim, at: datetime, *, keep_number: bool) -> None:
    """A new card on file: from the network's account updater, or typed in by the customer."""
    old = person.card_on_file
    if at >= world.horizon:
        return
    card = payments.card_new(world.rng, at)
    if keep_number:
        card.brand, card.last4 = old.brand, old.last4
        card.exp_year = max(card.exp_year, at.year + 2)
    else:
        request, response = payment_method_bodies(person, card.last4)
        api_call(
            world,
            person,
            "POST /api/billing/payment-method",
            at,
            request=request,
            response=response,
        )
        emit(world, person, "payment_method_updated", at, {"brand": card.brand})
    person.card = card
    payments.customer_write(world, person)


def recovered(world: "World", person: PersonSim, sub: SubState, at: datetime) -> None:
    """The invoice in dunning got paid: the subscription is active again."""
    sub.status, sub.invoice, sub.dunning_since = "active", None, None
    person.boost += 0.1
    billing.sub_write(world, person, sub, at)
    mail.finish(world, person, "dunning", at, reason="payment recovered")


def dunning_end(world: "World", person: PersonSim, at: datetime, sub_id: str) -> None:
    """The retry schedule is exhausted: cancel the subscription, or leave it unpaid."""
    sub = person.sub
    if sub is None or sub.sub_id != sub_id or sub.status != "past_due" or sub.invoice is None:
        return
    invoice = sub.invoice
    if world.rng.random() < 0.7:
        invoice.status = "uncollectible"
        invoice.next_attempt_at = None
        payments.invoice_write(world, person, sub, invoice, at)
        sub.canceled_at = at
        billing.end(world, person, at, reason="payment failed")
    else:
        sub.status = "unpaid"
        billing.sub_write(world, person, sub, at)
        person.schedule(at + timedelta(days=30), "unpaid_end", sub.sub_id)
    mail.finish(world, person, "dunning", at, reason="")


def unpaid_end(world: "World", person: PersonSim, at: datetime, sub_id: str) -> None:
    sub = person.sub
    if sub is None or sub.sub_id != sub_id or sub.status != "unpaid":
        return
    if sub.invoice is not None:
        sub.invoice.status = "void"
        payments.invoice_write(world, person, sub, sub.invoice, at)
    sub.canceled_at = at
    billing.end(world, person, at, reason="unpaid")
