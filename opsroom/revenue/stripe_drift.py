"""The drift between what Opsroom holds about a customer and what Stripe says, field by field.

With the Stripe API key configured, one check reads the customer (with its default card), all
its subscriptions and its most recent invoices from Stripe, and compares them with the
person's billing customer, subscription records, current subscription (what the billing
snapshot shows) and invoices. Nothing is written: the check only reads on both sides.

A Stripe error (network, authentication, rate limit, an answer that does not parse) gives a
report in the `stripe_error` state with the reason, never an exception.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import stripe

from opsroom.core import clock
from opsroom.people.models import Person
from opsroom.revenue.models import BillingCustomer, Invoice, Subscription
from opsroom.revenue.selectors.person import LIVE_STATUSES
from opsroom.revenue.stripe_api import stripe_client
from opsroom.revenue.stripe_drift_read import (
    SUBSCRIPTIONS_READ,
    Remote,
    Row,
    Unreadable,
    card,
    fetch,
    invoice_fields,
    stripe_error_text,
    subscription_fields,
    whole,
)

TIMEOUT = 10.0  # seconds per Stripe request: someone is waiting on the page


class State:
    IN_SYNC = "in_sync"
    DRIFT = "drift"
    NOT_CONFIGURED = "not_configured"
    NO_CUSTOMER = "no_customer"
    STRIPE_ERROR = "stripe_error"


@dataclass(frozen=True)
class Difference:
    """One field on which Opsroom and Stripe disagree. `field` is "record" when the object
    exists on one side only (values "present" and "missing")."""

    kind: str  # customer, subscription, invoice, snapshot
    object_id: str
    field: str
    opsroom: Any
    stripe: Any


@dataclass(frozen=True)
class DriftReport:
    person_id: int
    customer_id: str
    state: str
    message: str
    checked_at: datetime
    differences: list[Difference] = field(default_factory=list)
    subscriptions_compared: int = 0
    invoices_compared: int = 0

    @property
    def has_drift(self) -> bool:
        return self.state == State.DRIFT


def stripe_configured() -> bool:
    """Whether the Stripe API key is set (the drift check needs it)."""
    return stripe_client() is not None


def stripe_customer_people(*, limit: int) -> list[int]:
    """Ids of the people with a Stripe customer id, oldest customer record first."""
    return list(
        BillingCustomer.objects.filter(provider="stripe")
        .order_by("id")
        .values_list("person_id", flat=True)[:limit]
    )


def person_for_stripe_customer(*, customer_id: str) -> int | None:
    """The id of the person holding a Stripe customer id, or None."""
    return (
        BillingCustomer.objects.filter(provider_customer_id=customer_id)
        .values_list("person_id", flat=True)
        .first()
    )


def stripe_drift_for_person(*, person: Person) -> DriftReport:
    """Compare the person's billing records with Stripe's, field by field."""
    now = clock.now()
    customer = BillingCustomer.objects.filter(person_id=person.pk, provider="stripe").first()

    def report(state: str, message: str, customer_id: str = "") -> DriftReport:
        return DriftReport(
            person_id=person.pk,
            customer_id=customer_id,
            state=state,
            message=message,
            checked_at=now,
        )

    client = stripe_client(timeout=TIMEOUT)
    if client is None:
        return report(
            State.NOT_CONFIGURED,
            "Stripe is not configured: set STRIPE_API_KEY to compare with Stripe.",
            customer.provider_customer_id if customer else "",
        )
    if customer is None:
        return report(State.NO_CUSTOMER, "This person has no Stripe customer id in Opsroom.")
    customer_id = customer.provider_customer_id
    try:
        remote = fetch(client, customer_id)
        differences, subscriptions, invoices = _compare(person, customer, remote)
    except stripe.StripeError as exc:
        return report(State.STRIPE_ERROR, stripe_error_text(exc), customer_id)
    except Unreadable as exc:
        return report(State.STRIPE_ERROR, f"Stripe's answer could not be read: {exc}", customer_id)
    return DriftReport(
        person_id=person.pk,
        customer_id=customer_id,
        state=State.DRIFT if differences else State.IN_SYNC,
        message=(
            f"{len(differences)} difference{'s' if len(differences) != 1 else ''} with Stripe."
            if differences
            else "In sync with Stripe."
        ),
        checked_at=now,
        differences=differences,
        subscriptions_compared=subscriptions,
        invoices_compared=invoices,
    )


def _held_fields(subscription: Subscription) -> Row:
    return {
        "status": subscription.status,
        "price": subscription.plan.provider_price_id if subscription.plan else "",
        "amount": subscription.amount,
        "currency": subscription.currency,
        "interval": subscription.interval,
        "interval_count": subscription.interval_count,
        "quantity": subscription.quantity,
        "current_period_end": subscription.current_period_end,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "discount_percent": round(float(Decimal(subscription.discount_percent)), 2),
        "discount_amount": subscription.discount_amount,
        "discount_ends_at": subscription.discount_ends_at,
    }


def _held_invoice(invoice: Invoice) -> Row:
    return {
        "status": invoice.status,
        "total": invoice.total,
        "amount_due": invoice.amount_due,
        "amount_paid": invoice.amount_paid,
    }


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, datetime) and isinstance(theirs, datetime):
        return int(ours.timestamp()) == int(theirs.timestamp())
    return bool(ours == theirs)


def _field_differences(kind: str, object_id: str, ours: Row, theirs: Row) -> list[Difference]:
    return [
        Difference(kind, object_id, name, ours[name], theirs[name])
        for name in ours
        if not _same(ours[name], theirs[name])
    ]


def _presence(kind: str, object_id: str, *, in_opsroom: bool) -> Difference:
    return Difference(
        kind,
        object_id,
        "record",
        "present" if in_opsroom else "missing",
        "missing" if in_opsroom else "present",
    )


def _matched(
    kind: str,
    held: dict[str, Any],
    remote: Iterable[Row],
    compare: Callable[[str, Any, Row], list[Difference]],
    *,
    remote_complete: bool,
) -> tuple[list[Difference], int]:
    differences: list[Difference] = []
    seen: set[str] = set()
    compared = 0
    for row in remote:
        object_id = row["id"]
        seen.add(object_id)
        if object_id not in held:
            differences.append(_presence(kind, object_id, in_opsroom=False))
            continue
        compared += 1
        differences += compare(object_id, held[object_id], row)
    if remote_complete:
        missing = [object_id for object_id in held if object_id not in seen]
        differences += [_presence(kind, object_id, in_opsroom=True) for object_id in missing]
    return differences, compared


def _current(subscriptions: Iterable[tuple[str, str, Any]]) -> str:
    """The id of the current subscription: the newest live one, else the newest (the rule of
    revenue's `subscription_current_for_person`, which the billing snapshot shows)."""
    chosen: tuple[str, str, Any] | None = None
    for sub_id, status, created in sorted(subscriptions, key=lambda s: s[2], reverse=True):
        if chosen is None or (chosen[1] not in LIVE_STATUSES and status in LIVE_STATUSES):
            chosen = (sub_id, status, created)
    return chosen[0] if chosen else ""


def _compare(
    person: Person, customer: BillingCustomer, remote: Remote
) -> tuple[list[Difference], int, int]:
    customer_id = customer.provider_customer_id
    if remote.customer is None:
        return [_presence("customer", customer_id, in_opsroom=True)], 0, 0
    brand, last4, exp_month, exp_year = card(remote.customer)
    ours_customer: Row = {"email": (person.email or "").lower(), "livemode": customer.livemode}
    theirs_customer: Row = {
        "email": str(remote.customer.get("email") or "").lower(),
        "livemode": bool(remote.customer.get("livemode")),
    }
    if last4 or customer.card_last4:
        ours_customer |= {
            "card_brand": customer.card_brand.lower(),
            "card_last4": customer.card_last4,
            "card_exp_month": customer.card_exp_month,
            "card_exp_year": customer.card_exp_year,
        }
        theirs_customer |= {
            "card_brand": brand.lower(),
            "card_last4": last4,
            "card_exp_month": exp_month,
            "card_exp_year": exp_year,
        }
    differences = _field_differences("customer", customer_id, ours_customer, theirs_customer)

    held_subs = {
        sub.provider_subscription_id: sub
        for sub in Subscription.objects.filter(person_id=person.pk, provider="stripe")
        .select_related("plan")
        .order_by("-created_at", "-id")
    }
    sub_differences, subs_compared = _matched(
        "subscription",
        held_subs,
        remote.subscriptions,
        lambda object_id, held, row: _field_differences(
            "subscription", object_id, _held_fields(held), subscription_fields(row)
        ),
        remote_complete=len(remote.subscriptions) < SUBSCRIPTIONS_READ,
    )
    differences += sub_differences

    ours_current = _current(
        (s.provider_subscription_id, s.status, (s.created_at, s.pk)) for s in held_subs.values()
    )
    theirs_current = _current(
        (row["id"], row.get("status") or "", (whole(row.get("created")), 0))
        for row in remote.subscriptions
    )
    if ours_current != theirs_current:
        differences.append(
            Difference(
                "snapshot", customer_id, "current_subscription", ours_current, theirs_current
            )
        )

    held_invoices = {
        invoice.provider_invoice_id: invoice
        for invoice in Invoice.objects.filter(person_id=person.pk).order_by("-issued_at")
    }
    if not remote.invoices_complete:
        held_invoices = {
            key: invoice
            for key, invoice in held_invoices.items()
            if key in {row["id"] for row in remote.invoices}
        }
    invoice_differences, invoices_compared = _matched(
        "invoice",
        held_invoices,
        remote.invoices,
        lambda object_id, held, row: _field_differences(
            "invoice", object_id, _held_invoice(held), invoice_fields(row)
        ),
        remote_complete=remote.invoices_complete,
    )
    differences += invoice_differences
    return differences, subs_compared, invoices_compared
