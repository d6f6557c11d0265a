"""Stripe objects (as plain dicts from a verified event) to the rows of the revenue services.

Pure functions: no database. Both the older API shape (period and subscription on the top
object) and the newer one (periods on subscription items, invoice `parent`) are read.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Row = dict[str, Any]


def stamp(value: Any) -> datetime | None:
    """A Stripe Unix timestamp as an aware datetime."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def object_id(value: Any) -> str | None:
    """The id of a reference that may be expanded (a dict) or not (a string)."""
    if isinstance(value, dict):
        return str(value["id"])
    return str(value) if value else None


def _first_item(subscription: Row) -> Row:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else {}


def subscription_price(subscription: Row) -> Row | None:
    """The price of a subscription's first item (multi-item subscriptions use the first)."""
    item = _first_item(subscription)
    price = item.get("price") or item.get("plan") or subscription.get("plan")
    return price if isinstance(price, dict) else None


def plan_row(price: Row) -> Row:
    """A Stripe Price as a plan row."""
    recurring = price.get("recurring") or {}
    product = price.get("product")
    product_name = product.get("name") if isinstance(product, dict) else None
    return {
        "provider_price_id": price["id"],
        "code": (price.get("lookup_key") or price["id"])[:64],
        "name": (price.get("nickname") or product_name or price["id"])[:200],
        "interval": recurring.get("interval") or price.get("interval") or "month",
        "interval_count": recurring.get("interval_count") or price.get("interval_count") or 1,
        "amount": price.get("unit_amount") or price.get("amount") or 0,
        "currency": price.get("currency") or "usd",
        "trial_days": recurring.get("trial_period_days") or 0,
        "is_active": bool(price.get("active", True)),
    }


def _discount(subscription: Row) -> Row:
    discount = subscription.get("discount")
    if not isinstance(discount, dict):
        discounts = [d for d in subscription.get("discounts") or [] if isinstance(d, dict)]
        discount = discounts[0] if discounts else None
    if not discount:
        return {"discount_percent": Decimal(0), "discount_amount": 0, "discount_ends_at": None}
    coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon") or {}
    if not isinstance(coupon, dict):
        coupon = {}
    return {
        "discount_percent": Decimal(str(coupon.get("percent_off") or 0)),
        "discount_amount": coupon.get("amount_off") or 0,
        "discount_ends_at": stamp(discount.get("end")),
    }


def subscription_row(subscription: Row, *, state_at: datetime) -> Row:
    """A Stripe Subscription as a subscription row (without person and plan ids)."""
    item = _first_item(subscription)
    price = subscription_price(subscription) or {}
    recurring = price.get("recurring") or {}
    details = subscription.get("cancellation_details") or {}
    return {
        "provider": "stripe",
        "provider_subscription_id": subscription["id"],
        "status": subscription["status"],
        "interval": recurring.get("interval") or price.get("interval") or "month",
        "interval_count": recurring.get("interval_count") or price.get("interval_count") or 1,
        "amount": price.get("unit_amount") or price.get("amount") or 0,
        "currency": subscription.get("currency") or price.get("currency") or "usd",
        "quantity": item.get("quantity") or subscription.get("quantity") or 1,
        **_discount(subscription),
        "started_at": stamp(subscription.get("start_date") or subscription.get("created")),
        "trial_start": stamp(subscription.get("trial_start")),
        "trial_end": stamp(subscription.get("trial_end")),
        "current_period_start": stamp(
            subscription.get("current_period_start") or item.get("current_period_start")
        ),
        "current_period_end": stamp(
            subscription.get("current_period_end") or item.get("current_period_end")
        ),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "canceled_at": stamp(subscription.get("canceled_at")),
        "ended_at": stamp(subscription.get("ended_at")),
        "cancellation_reason": (details.get("feedback") or details.get("reason") or "")[:200],
        "metadata": subscription.get("metadata") or {},
        "source_updated_at": state_at,
    }


def invoice_subscription_id(invoice: Row) -> str | None:
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return object_id(invoice.get("subscription") or parent.get("subscription"))


def invoice_row(invoice: Row, *, state_at: datetime) -> Row:
    """A Stripe Invoice as an invoice row (without person and subscription ids)."""
    transitions = invoice.get("status_transitions") or {}
    discounts = sum(d.get("amount") or 0 for d in invoice.get("total_discount_amounts") or [])
    taxes = invoice.get("tax")
    if taxes is None:
        taxes = sum(t.get("amount") or 0 for t in invoice.get("total_taxes") or [])
    return {
        "provider_invoice_id": invoice["id"],
        "number": invoice.get("number") or "",
        "status": invoice.get("status") or "draft",
        "billing_reason": invoice.get("billing_reason") or "",
        "currency": invoice.get("currency") or "usd",
        "subtotal": invoice.get("subtotal") or 0,
        "discount": discounts,
        "tax": taxes,
        "total": invoice.get("total") or 0,
        "amount_due": invoice.get("amount_due") or 0,
        "amount_paid": invoice.get("amount_paid") or 0,
        "period_start": stamp(invoice.get("period_start")),
        "period_end": stamp(invoice.get("period_end")),
        "issued_at": stamp(transitions.get("finalized_at") or invoice.get("created")),
        "due_at": stamp(invoice.get("due_date")),
        "paid_at": stamp(transitions.get("paid_at")),
        "voided_at": stamp(transitions.get("voided_at")),
        "attempt_count": invoice.get("attempt_count") or 0,
        "next_payment_attempt_at": stamp(invoice.get("next_payment_attempt")),
        "hosted_invoice_url": (invoice.get("hosted_invoice_url") or "")[:500],
        "source_updated_at": state_at,
    }


def _card(charge: Row) -> Row:
    return ((charge.get("payment_method_details") or {}).get("card")) or {}


def payment_row(charge: Row) -> Row:
    """A Stripe Charge as a payment attempt row (without person and invoice ids)."""
    card = _card(charge)
    status = charge.get("status")
    return {
        "provider_attempt_id": charge["id"],
        "amount": charge.get("amount") or 0,
        "currency": charge.get("currency") or "usd",
        "amount_refunded": charge.get("amount_refunded") or 0,
        "status": status if status in ("succeeded", "failed", "pending") else "pending",
        "failure_code": (charge.get("failure_code") or "")[:64],
        "decline_code": ((charge.get("outcome") or {}).get("reason") or "")[:64],
        "failure_message": (charge.get("failure_message") or "")[:500],
        "attempted_at": stamp(charge.get("created")),
        "card_brand": (card.get("brand") or "")[:32],
        "card_last4": (card.get("last4") or "")[:4],
    }


def card_fields(charge: Row) -> Row:
    """The card a charge used, for the billing customer's record."""
    card = _card(charge)
    if not card:
        return {}
    return {
        "card_brand": (card.get("brand") or "")[:32],
        "card_last4": (card.get("last4") or "")[:4],
        "card_exp_month": card.get("exp_month"),
        "card_exp_year": card.get("exp_year"),
    }
