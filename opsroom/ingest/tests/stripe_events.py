"""Stripe events shaped as Stripe sends them (API 2025 shapes), signed with the stripe library."""

import json
import time
from typing import Any

import stripe
from django.test import Client

SECRET = "whsec_test_opsroom_0123456789abcdef"
T0 = 1_772_000_000  # 2026-02-25, seconds


def event(event_type: str, obj: dict[str, Any], *, created: int, event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def customer(customer_id="cus_1", user_id="u1", email="ann@example.com") -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "email": email,
        "name": "Ann Example",
        "metadata": {"user_id": user_id} if user_id else {},
        "livemode": False,
        "created": T0,
    }


def price(price_id="price_family_monthly", amount=999, interval="month") -> dict[str, Any]:
    return {
        "id": price_id,
        "object": "price",
        "active": True,
        "currency": "usd",
        "lookup_key": "family_monthly",
        "nickname": "Family monthly",
        "product": "prod_family",
        "recurring": {"interval": interval, "interval_count": 1, "trial_period_days": 14},
        "type": "recurring",
        "unit_amount": amount,
    }


def subscription(status="active", *, sub_id="sub_1", customer_id="cus_1", **extra) -> dict:
    period_start = T0
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "currency": "usd",
        "start_date": T0,
        "created": T0,
        "trial_start": T0 if status == "trialing" else None,
        "trial_end": T0 + 14 * 86400 if status == "trialing" else None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "ended_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "discount": None,
        "discounts": [],
        "metadata": {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "price": price(),
                    "quantity": 1,
                    "current_period_start": period_start,
                    "current_period_end": period_start + 30 * 86400,
                }
            ],
        },
        **extra,
    }


def invoice(status="open", *, invoice_id="in_1", paid_at=None, **extra) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": "cus_1",
        "number": "OPS-0001",
        "status": status,
        "billing_reason": "subscription_cycle",
        "currency": "usd",
        "subtotal": 999,
        "total": 999,
        "amount_due": 999,
        "amount_paid": 999 if status == "paid" else 0,
        "attempt_count": 1,
        "created": T0,
        "period_start": T0,
        "period_end": T0 + 30 * 86400,
        "due_date": None,
        "next_payment_attempt": None,
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test",
        "total_discount_amounts": [],
        "total_taxes": [],
        "status_transitions": {"finalized_at": T0, "paid_at": paid_at, "voided_at": None},
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_1", "metadata": {}},
        },
        **extra,
    }


def charge(status="failed", *, charge_id="ch_1", refunded=0, **extra) -> dict[str, Any]:
    return {
        "id": charge_id,
        "object": "charge",
        "customer": "cus_1",
        "amount": 999,
        "amount_refunded": refunded,
        "currency": "usd",
        "status": status,
        "created": T0 + 60,
        "failure_code": "card_declined" if status == "failed" else None,
        "failure_message": "Your card has insufficient funds." if status == "failed" else None,
        "outcome": {"type": "issuer_declined", "reason": "insufficient_funds"},
        "payment_method_details": {
            "type": "card",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2027},
        },
        **extra,
    }


def post(client: Client, payload: dict[str, Any], *, secret=SECRET, timestamp=None, tamper=None):
    """POST an event signed exactly as Stripe signs it (optionally tampered after signing)."""
    body = json.dumps(payload, separators=(",", ":"))
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp or int(time.time())
    )
    if tamper is not None:
        body = tamper(body)
    return client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
