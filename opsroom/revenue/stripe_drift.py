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
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe

from opsroom.core import clock
from opsroom.people.models import Person
from opsroom.revenue.models import BillingCustomer, Invoice, Subscription
from opsroom.revenue.stripe_api import stripe_client

INVOICES_COMPARED = 10
TIMEOUT = 10.0  # seconds per Stripe request: someone is waiting on the page
SUBSCRIPTIONS_READ = 100
# Statuses in which a subscription still gives access, as the billing snapshot counts them.
_LIVE = ("trialing", "active", "past_due", "unpaid", "paused")

Row = dict[str, Any]


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


class _Unreadable(Exception):
    """Stripe answered with something that is not the object expected."""


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
        remote = _fetch(client, customer_id)
        differences, subscriptions, invoices = _compare(person, customer, remote)
    except stripe.StripeError as exc:
        return report(State.STRIPE_ERROR, _stripe_error_text(exc), customer_id)
    except _Unreadable as exc:
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


def _stripe_error_text(exc: stripe.StripeError) -> str:
    kind = type(exc).__name__
    status = f" (HTTP {exc.http_status})" if exc.http_status else ""
    detail = (exc.user_message or str(exc) or "no detail").strip()
    return f"Stripe could not be read: {kind}{status}: {detail[:300]}"


@dataclass
class _Remote:
    customer: Row | None  # None when Stripe has no such customer (or it was deleted)
    subscriptions: list[Row]
    invoices: list[Row]
    invoices_complete: bool  # every invoice of the customer was read


def _fetch(client: stripe.StripeClient, customer_id: str) -> _Remote:
    try:
        found = client.v1.customers.retrieve(
            customer_id, params={"expand": ["invoice_settings.default_payment_method"]}
        )
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 or exc.code == "resource_missing":
            return _Remote(customer=None, subscriptions=[], invoices=[], invoices_complete=True)
        raise
    customer = _as_row(found, "customer")
    if customer.get("deleted"):
        return _Remote(customer=None, subscriptions=[], invoices=[], invoices_complete=True)
    subscriptions = client.v1.subscriptions.list(
        params={
            "customer": customer_id,
            "status": "all",
            "limit": SUBSCRIPTIONS_READ,
            "expand": ["data.discounts"],
        }
    )
    invoices = client.v1.invoices.list(params={"customer": customer_id, "limit": INVOICES_COMPARED})
    invoice_page = _as_row(invoices, "invoice list")
    subscription_page = _as_row(subscriptions, "subscription list")
    return _Remote(
        customer=customer,
        subscriptions=_rows(subscription_page.get("data"), "subscription"),
        invoices=_rows(invoice_page.get("data"), "invoice"),
        invoices_complete=not invoice_page.get("has_more"),
    )


def _as_row(value: Any, what: str) -> Row:
    if isinstance(value, stripe.StripeObject):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise _Unreadable(f"the {what} is not an object")
    return value


def _rows(value: Any, what: str) -> list[Row]:
    if not isinstance(value, list):
        raise _Unreadable(f"the {what} list has no data")
    rows = [_as_row(item, what) for item in value]
    for row in rows:
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise _Unreadable(f"a {what} has no id")
    return rows


# Reading Stripe's fields (older and newer API shapes, as the webhook does).


def _stamp(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unreadable(f"{str(value)[:40]!r} is not a Unix time")
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _Unreadable(f"{str(value)[:40]!r} is not a Unix time") from None


def _whole(value: Any, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unreadable(f"{str(value)[:40]!r} is not a number")
    return int(value)


def _mapping(value: Any) -> Row:
    return value if isinstance(value, dict) else {}


def _item(subscription: Row) -> Row:
    items = subscription.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    return data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}


def _price(subscription: Row) -> Row:
    item = _item(subscription)
    price = item.get("price") or item.get("plan") or subscription.get("plan")
    return price if isinstance(price, dict) else {}


def _discount(subscription: Row) -> tuple[float, int, datetime | None]:
    discount = subscription.get("discount")
    if not isinstance(discount, dict):
        listed = subscription.get("discounts")
        expanded = [d for d in listed if isinstance(d, dict)] if isinstance(listed, list) else []
        discount = expanded[0] if expanded else None
    if not discount:
        return 0.0, 0, None
    source = _mapping(discount.get("source"))
    coupon = discount.get("coupon") or source.get("coupon") or {}
    if not isinstance(coupon, dict):
        coupon = {}
    percent = coupon.get("percent_off") or 0
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        raise _Unreadable("a discount's percent_off is not a number")
    return round(float(percent), 2), _whole(coupon.get("amount_off")), _stamp(discount.get("end"))


def _subscription_fields(subscription: Row) -> Row:
    item = _item(subscription)
    price = _price(subscription)
    recurring = _mapping(price.get("recurring"))
    percent, amount_off, discount_end = _discount(subscription)
    unit = price.get("unit_amount") if price.get("unit_amount") is not None else price.get("amount")
    return {
        "status": subscription.get("status") or "",
        "price": price.get("id") or "",
        "amount": _whole(unit),
        "currency": str(subscription.get("currency") or price.get("currency") or "").lower(),
        "interval": recurring.get("interval") or price.get("interval") or "",
        "interval_count": _whole(
            recurring.get("interval_count") or price.get("interval_count"), default=1
        ),
        "quantity": _whole(item.get("quantity") or subscription.get("quantity"), default=1) or 1,
        "current_period_end": _stamp(
            subscription.get("current_period_end") or item.get("current_period_end")
        ),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "discount_percent": percent,
        "discount_amount": amount_off,
        "discount_ends_at": discount_end,
    }


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


def _invoice_fields(invoice: Row) -> Row:
    return {
        "status": invoice.get("status") or "draft",
        "total": _whole(invoice.get("total")),
        "amount_due": _whole(invoice.get("amount_due")),
        "amount_paid": _whole(invoice.get("amount_paid")),
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


def _card(customer: Row) -> tuple[str, str, int | None, int | None]:
    settings_ = customer.get("invoice_settings")
    method = settings_.get("default_payment_method") if isinstance(settings_, dict) else None
    card = method.get("card") if isinstance(method, dict) else None
    if not isinstance(card, dict):
        return "", "", None, None
    return (
        str(card.get("brand") or ""),
        str(card.get("last4") or ""),
        _whole(card.get("exp_month")) if card.get("exp_month") is not None else None,
        _whole(card.get("exp_year")) if card.get("exp_year") is not None else None,
    )


def _current(subscriptions: Iterable[tuple[str, str, Any]]) -> str:
    """The id of the current subscription: the newest live one, else the newest (the rule of
    revenue's `subscription_current_for_person`, which the billing snapshot shows)."""
    chosen: tuple[str, str, Any] | None = None
    for sub_id, status, created in sorted(subscriptions, key=lambda s: s[2], reverse=True):
        if chosen is None or (chosen[1] not in _LIVE and status in _LIVE):
            chosen = (sub_id, status, created)
    return chosen[0] if chosen else ""


def _compare(
    person: Person, customer: BillingCustomer, remote: _Remote
) -> tuple[list[Difference], int, int]:
    customer_id = customer.provider_customer_id
    if remote.customer is None:
        return [_presence("customer", customer_id, in_opsroom=True)], 0, 0
    brand, last4, exp_month, exp_year = _card(remote.customer)
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
            "subscription", object_id, _held_fields(held), _subscription_fields(row)
        ),
        remote_complete=len(remote.subscriptions) < SUBSCRIPTIONS_READ,
    )
    differences += sub_differences

    ours_current = _current(
        (s.provider_subscription_id, s.status, (s.created_at, s.pk)) for s in held_subs.values()
    )
    theirs_current = _current(
        (row["id"], row.get("status") or "", (_whole(row.get("created")), 0))
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
            "invoice", object_id, _held_invoice(held), _invoice_fields(row)
        ),
        remote_complete=remote.invoices_complete,
    )
    differences += invoice_differences
    return differences, subs_compared, invoices_compared
