"""Stripe objects (as plain dicts from a verified event) to the rows of the revenue services.

Pure functions: no database. Both the older API shape (period and subscription on the top
object) and the newer one (periods on subscription items, invoice `parent`) are read.

Every field read is checked (type, range, known status): a signed event is still outside
data, and one that does not fit raises PayloadInvalid naming the field, so it is recorded as
a failed delivery with that reason rather than stored wrong or ending in a 500.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from opsroom.core.errors import InvalidInput
from opsroom.core.redaction import payload_redact

Row = dict[str, Any]

# Unix times accepted: from 1970 up to 9000-01-01 (as ingested items).
_LATEST = int(datetime(9000, 1, 1, tzinfo=UTC).timestamp())
# Minor units; Stripe's own limit is far lower. Amount x quantity stays inside 64 bits.
AMOUNT_LIMIT = 10**12
QUANTITY_LIMIT = 10**6
SUBSCRIPTION_STATUSES = frozenset(
    {
        "incomplete",
        "incomplete_expired",
        "trialing",
        "active",
        "past_due",
        "canceled",
        "unpaid",
        "paused",
    }
)
INVOICE_STATUSES = frozenset({"draft", "open", "paid", "uncollectible", "void"})
INTERVALS = frozenset({"day", "week", "month", "year"})


class PayloadInvalid(InvalidInput):
    """A provider payload that cannot be applied as it is; the message names the field."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def stamp(value: Any, field: str = "time") -> datetime | None:
    """A Stripe Unix timestamp as an aware datetime (None when absent)."""
    if value in (None, ""):
        return None
    if not _is_number(value) or value != value or not 0 <= value <= _LATEST:
        raise PayloadInvalid(f"{field}: {str(value)[:40]!r} is not a Unix time in 1970-9000.")
    return datetime.fromtimestamp(int(value), tz=UTC)


def whole(value: Any, field: str, *, low: int, high: int, default: int = 0) -> int:
    """A whole number within bounds (`default` when absent)."""
    if value is None:
        return default
    if not _is_number(value) or value != value or value != int(value) or not low <= value <= high:
        raise PayloadInvalid(f"{field}: {str(value)[:40]!r} is not a whole number in {low}-{high}.")
    return int(value)


def amount(value: Any, field: str) -> int:
    """An amount in minor units."""
    return whole(value, field, low=-AMOUNT_LIMIT, high=AMOUNT_LIMIT)


def text(value: Any, field: str, limit: int) -> str:
    """Text cut to `limit` characters ('' when absent)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadInvalid(f"{field}: expected text, got {type(value).__name__}.")
    return value.replace("\x00", "")[:limit]


def mapping(value: Any, field: str) -> Row:
    """A nested object ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{field}: expected an object, got {type(value).__name__}.")
    return value


def sequence(value: Any, field: str) -> list[Any]:
    """A list ([] when absent)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadInvalid(f"{field}: expected a list, got {type(value).__name__}.")
    return value


def required_id(row: Row, field: str) -> str:
    """An object's id: required, text of 1-128 characters."""
    value = text(row.get("id"), f"{field}.id", 128)
    if not value:
        raise PayloadInvalid(f"{field}.id: missing.")
    return value


def _currency(value: Any, field: str) -> str:
    code = text(value, field, 3).lower() or "usd"
    if len(code) != 3 or not code.isalpha():
        raise PayloadInvalid(f"{field}: {code!r} is not a currency code.")
    return code


def _interval(value: Any, field: str) -> str:
    interval = text(value, field, 8) or "month"
    if interval not in INTERVALS:
        raise PayloadInvalid(f"{field}: {interval!r} is not one of {', '.join(sorted(INTERVALS))}.")
    return interval


def object_id(value: Any, field: str = "id") -> str | None:
    """The id of a reference that may be expanded (a dict) or not (a string)."""
    if isinstance(value, dict):
        return required_id(value, field)
    if value in (None, ""):
        return None
    return text(value, field, 128) or None


def _first_item(subscription: Row) -> Row:
    items = sequence(mapping(subscription.get("items"), "items").get("data"), "items.data")
    return mapping(items[0], "items.data.0") if items else {}


def subscription_price(subscription: Row) -> Row | None:
    """The price of a subscription's first item (multi-item subscriptions use the first)."""
    item = _first_item(subscription)
    price = item.get("price") or item.get("plan") or subscription.get("plan")
    return price if isinstance(price, dict) else None


def _price_fields(price: Row) -> Row:
    recurring = mapping(price.get("recurring"), "price.recurring")
    return {
        "interval": _interval(recurring.get("interval") or price.get("interval"), "interval"),
        "interval_count": whole(
            recurring.get("interval_count") or price.get("interval_count"),
            "interval_count",
            low=1,
            high=365,
            default=1,
        ),
        "amount": amount(
            price.get("unit_amount")
            if price.get("unit_amount") is not None
            else price.get("amount"),
            "price.unit_amount",
        ),
    }


def plan_row(price: Row) -> Row:
    """A Stripe Price as a plan row."""
    price_id = required_id(price, "price")
    recurring = mapping(price.get("recurring"), "price.recurring")
    product = price.get("product")
    product_name = product.get("name") if isinstance(product, dict) else None
    return {
        "provider_price_id": price_id,
        "code": text(price.get("lookup_key"), "price.lookup_key", 64) or price_id[:64],
        "name": text(price.get("nickname") or product_name, "price.nickname", 200) or price_id,
        **_price_fields(price),
        "currency": _currency(price.get("currency"), "price.currency"),
        "trial_days": whole(
            recurring.get("trial_period_days"), "price.trial_period_days", low=0, high=32767
        ),
        "is_active": bool(price.get("active", True)),
    }


def _discount(subscription: Row) -> Row:
    discount = subscription.get("discount")
    if not isinstance(discount, dict):
        listed = sequence(subscription.get("discounts"), "discounts")
        discounts = [d for d in listed if isinstance(d, dict)]
        discount = discounts[0] if discounts else None
    if not discount:
        return {"discount_percent": Decimal(0), "discount_amount": 0, "discount_ends_at": None}
    source = mapping(discount.get("source"), "discount.source")
    coupon = discount.get("coupon") or source.get("coupon") or {}
    if not isinstance(coupon, dict):
        coupon = {}
    percent = coupon.get("percent_off") or 0
    if not _is_number(percent) or not 0 <= percent <= 100:
        raise PayloadInvalid(f"discount.coupon.percent_off: {str(percent)[:40]!r} is not 0-100.")
    return {
        "discount_percent": Decimal(str(round(percent, 2))),
        "discount_amount": amount(coupon.get("amount_off"), "discount.coupon.amount_off"),
        "discount_ends_at": stamp(discount.get("end"), "discount.end"),
    }


def subscription_row(subscription: Row, *, state_at: datetime) -> Row:
    """A Stripe Subscription as a subscription row (without person and plan ids)."""
    item = _first_item(subscription)
    price = subscription_price(subscription) or {}
    details = mapping(subscription.get("cancellation_details"), "cancellation_details")
    status = text(subscription.get("status"), "status", 32)
    if status not in SUBSCRIPTION_STATUSES:
        raise PayloadInvalid(
            f"status: {status!r} is not a Stripe subscription status "
            f"({', '.join(sorted(SUBSCRIPTION_STATUSES))})."
        )
    return {
        "provider": "stripe",
        "provider_subscription_id": required_id(subscription, "subscription"),
        "status": status,
        **_price_fields(price),
        "currency": _currency(
            subscription.get("currency") or price.get("currency"), "subscription.currency"
        ),
        "quantity": whole(
            item.get("quantity") or subscription.get("quantity"),
            "quantity",
            low=0,
            high=QUANTITY_LIMIT,
            default=1,
        )
        or 1,
        **_discount(subscription),
        "started_at": stamp(
            subscription.get("start_date") or subscription.get("created"), "start_date"
        ),
        "trial_start": stamp(subscription.get("trial_start"), "trial_start"),
        "trial_end": stamp(subscription.get("trial_end"), "trial_end"),
        "current_period_start": stamp(
            subscription.get("current_period_start") or item.get("current_period_start"),
            "current_period_start",
        ),
        "current_period_end": stamp(
            subscription.get("current_period_end") or item.get("current_period_end"),
            "current_period_end",
        ),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "canceled_at": stamp(subscription.get("canceled_at"), "canceled_at"),
        "ended_at": stamp(subscription.get("ended_at"), "ended_at"),
        "cancellation_reason": text(
            details.get("feedback") or details.get("reason"), "cancellation_details", 200
        ),
        "metadata": payload_redact(mapping(subscription.get("metadata"), "metadata")),
        "source_updated_at": state_at,
    }


def invoice_subscription_id(invoice: Row) -> str | None:
    parent = mapping(
        mapping(invoice.get("parent"), "parent").get("subscription_details"),
        "parent.subscription_details",
    )
    return object_id(invoice.get("subscription") or parent.get("subscription"), "subscription")


def _sum_amounts(rows: Any, field: str) -> int:
    return sum(
        amount(mapping(row, field).get("amount"), f"{field}.amount")
        for row in sequence(rows, field)
    )


def invoice_row(invoice: Row, *, state_at: datetime) -> Row:
    """A Stripe Invoice as an invoice row (without person and subscription ids)."""
    transitions = mapping(invoice.get("status_transitions"), "status_transitions")
    taxes = invoice.get("tax")
    tax = (
        _sum_amounts(invoice.get("total_taxes"), "total_taxes")
        if taxes is None
        else amount(taxes, "tax")
    )
    status = text(invoice.get("status"), "status", 32) or "draft"
    if status not in INVOICE_STATUSES:
        raise PayloadInvalid(
            f"status: {status!r} is not a Stripe invoice status "
            f"({', '.join(sorted(INVOICE_STATUSES))})."
        )
    return {
        "provider_invoice_id": required_id(invoice, "invoice"),
        "number": text(invoice.get("number"), "number", 64),
        "status": status,
        "billing_reason": text(invoice.get("billing_reason"), "billing_reason", 64),
        "currency": _currency(invoice.get("currency"), "currency"),
        "subtotal": amount(invoice.get("subtotal"), "subtotal"),
        "discount": _sum_amounts(invoice.get("total_discount_amounts"), "total_discount_amounts"),
        "tax": tax,
        "total": amount(invoice.get("total"), "total"),
        "amount_due": amount(invoice.get("amount_due"), "amount_due"),
        "amount_paid": amount(invoice.get("amount_paid"), "amount_paid"),
        "period_start": stamp(invoice.get("period_start"), "period_start"),
        "period_end": stamp(invoice.get("period_end"), "period_end"),
        "issued_at": stamp(
            transitions.get("finalized_at") or invoice.get("created"), "status_transitions"
        ),
        "due_at": stamp(invoice.get("due_date"), "due_date"),
        "paid_at": stamp(transitions.get("paid_at"), "status_transitions.paid_at"),
        "voided_at": stamp(transitions.get("voided_at"), "status_transitions.voided_at"),
        "attempt_count": whole(invoice.get("attempt_count"), "attempt_count", low=0, high=32767),
        "next_payment_attempt_at": stamp(
            invoice.get("next_payment_attempt"), "next_payment_attempt"
        ),
        "hosted_invoice_url": text(invoice.get("hosted_invoice_url"), "hosted_invoice_url", 500),
        "source_updated_at": state_at,
    }


def _card(charge: Row) -> Row:
    details = mapping(charge.get("payment_method_details"), "payment_method_details")
    return mapping(details.get("card"), "payment_method_details.card")


def payment_row(charge: Row) -> Row:
    """A Stripe Charge as a payment attempt row (without person and invoice ids)."""
    card = _card(charge)
    status = charge.get("status")
    outcome = mapping(charge.get("outcome"), "outcome")
    return {
        "provider_attempt_id": required_id(charge, "charge"),
        "amount": amount(charge.get("amount"), "amount"),
        "currency": _currency(charge.get("currency"), "currency"),
        "amount_refunded": amount(charge.get("amount_refunded"), "amount_refunded"),
        "status": status if status in ("succeeded", "failed", "pending") else "pending",
        "failure_code": text(charge.get("failure_code"), "failure_code", 64),
        "decline_code": text(outcome.get("reason"), "outcome.reason", 64),
        "failure_message": text(charge.get("failure_message"), "failure_message", 500),
        "attempted_at": stamp(charge.get("created"), "created"),
        "card_brand": text(card.get("brand"), "card.brand", 32),
        "card_last4": text(card.get("last4"), "card.last4", 4),
    }


def card_fields(charge: Row) -> Row:
    """The card a charge used, for the billing customer's record."""
    card = _card(charge)
    if not card:
        return {}
    return {
        "card_brand": text(card.get("brand"), "card.brand", 32),
        "card_last4": text(card.get("last4"), "card.last4", 4),
        "card_exp_month": whole(card.get("exp_month"), "card.exp_month", low=1, high=12)
        if card.get("exp_month") is not None
        else None,
        "card_exp_year": whole(card.get("exp_year"), "card.exp_year", low=1970, high=9999)
        if card.get("exp_year") is not None
        else None,
    }
