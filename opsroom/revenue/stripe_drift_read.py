"""Reading a customer from Stripe for the drift check: the calls (customer with its default
card, every subscription, the latest invoices) and each object's fields in the shape Opsroom
holds them, for older and newer API shapes alike. An answer that is not the object expected
raises `Unreadable`."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

INVOICES_COMPARED = 10
SUBSCRIPTIONS_READ = 100

Row = dict[str, Any]


class Unreadable(Exception):
    """Stripe answered with something that is not the object expected."""


def stripe_error_text(exc: stripe.StripeError) -> str:
    kind = type(exc).__name__
    status = f" (HTTP {exc.http_status})" if exc.http_status else ""
    detail = (exc.user_message or str(exc) or "no detail").strip()
    return f"Stripe could not be read: {kind}{status}: {detail[:300]}"


@dataclass
class Remote:
    customer: Row | None  # None when Stripe has no such customer (or it was deleted)
    subscriptions: list[Row]
    invoices: list[Row]
    invoices_complete: bool  # every invoice of the customer was read


def fetch(client: stripe.StripeClient, customer_id: str) -> Remote:
    try:
        found = client.v1.customers.retrieve(
            customer_id, params={"expand": ["invoice_settings.default_payment_method"]}
        )
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 or exc.code == "resource_missing":
            return Remote(customer=None, subscriptions=[], invoices=[], invoices_complete=True)
        raise
    customer = _as_row(found, "customer")
    if customer.get("deleted"):
        return Remote(customer=None, subscriptions=[], invoices=[], invoices_complete=True)
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
    return Remote(
        customer=customer,
        subscriptions=_rows(subscription_page.get("data"), "subscription"),
        invoices=_rows(invoice_page.get("data"), "invoice"),
        invoices_complete=not invoice_page.get("has_more"),
    )


def _as_row(value: Any, what: str) -> Row:
    if isinstance(value, stripe.StripeObject):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise Unreadable(f"the {what} is not an object")
    return value


def _rows(value: Any, what: str) -> list[Row]:
    if not isinstance(value, list):
        raise Unreadable(f"the {what} list has no data")
    rows = [_as_row(item, what) for item in value]
    for row in rows:
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise Unreadable(f"a {what} has no id")
    return rows


# Reading Stripe's fields (older and newer API shapes, as the webhook does).


def _stamp(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"{str(value)[:40]!r} is not a Unix time")
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise Unreadable(f"{str(value)[:40]!r} is not a Unix time") from None


def whole(value: Any, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"{str(value)[:40]!r} is not a number")
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
        raise Unreadable("a discount's percent_off is not a number")
    return round(float(percent), 2), whole(coupon.get("amount_off")), _stamp(discount.get("end"))


def subscription_fields(subscription: Row) -> Row:
    item = _item(subscription)
    price = _price(subscription)
    recurring = _mapping(price.get("recurring"))
    percent, amount_off, discount_end = _discount(subscription)
    unit = price.get("unit_amount") if price.get("unit_amount") is not None else price.get("amount")
    return {
        "status": subscription.get("status") or "",
        "price": price.get("id") or "",
        "amount": whole(unit),
        "currency": str(subscription.get("currency") or price.get("currency") or "").lower(),
        "interval": recurring.get("interval") or price.get("interval") or "",
        "interval_count": whole(
            recurring.get("interval_count") or price.get("interval_count"), default=1
        ),
        "quantity": whole(item.get("quantity") or subscription.get("quantity"), default=1) or 1,
        "current_period_end": _stamp(
            subscription.get("current_period_end") or item.get("current_period_end")
        ),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "discount_percent": percent,
        "discount_amount": amount_off,
        "discount_ends_at": discount_end,
    }


def invoice_fields(invoice: Row) -> Row:
    return {
        "status": invoice.get("status") or "draft",
        "total": whole(invoice.get("total")),
        "amount_due": whole(invoice.get("amount_due")),
        "amount_paid": whole(invoice.get("amount_paid")),
    }


def card(customer: Row) -> tuple[str, str, int | None, int | None]:
    settings_ = customer.get("invoice_settings")
    method = settings_.get("default_payment_method") if isinstance(settings_, dict) else None
    card = method.get("card") if isinstance(method, dict) else None
    if not isinstance(card, dict):
        return "", "", None, None
    return (
        str(card.get("brand") or ""),
        str(card.get("last4") or ""),
        whole(card.get("exp_month")) if card.get("exp_month") is not None else None,
        whole(card.get("exp_year")) if card.get("exp_year") is not None else None,
    )
