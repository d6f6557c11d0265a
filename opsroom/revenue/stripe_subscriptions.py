"""Stripe calls the support automations make for a customer: set a subscription to cancel at
its period's end (or take that back), apply a retention discount, list paid invoices.

These are network calls: callers make them outside any database transaction (an outbox
performer), with an idempotency key per action so a retry gets Stripe's first answer back.
Every Stripe refusal or failure becomes StripeCallFailed, with a message for operators and
whether retrying could help.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from opsroom.revenue.stripe_api import stripe_client


class StripeCallFailed(Exception):
    """Stripe refused the call or did not answer."""

    def __init__(self, message: str, *, is_transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.is_transient = is_transient


def _client() -> stripe.StripeClient:
    client = stripe_client()
    if client is None:
        raise StripeCallFailed(
            "Stripe is not configured (STRIPE_API_KEY is empty).", is_transient=False
        )
    return client


def _failed(exc: stripe.StripeError, doing: str) -> StripeCallFailed:
    message = exc.user_message or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.APIConnectionError):
        return StripeCallFailed(
            f"Stripe did not answer while {doing}: {message}", is_transient=True
        )
    status = exc.http_status
    transient = isinstance(exc, stripe.RateLimitError) or status is None or status == 409
    transient = transient or (status is not None and status >= 500)
    kind = "card error" if isinstance(exc, stripe.CardError) else f"HTTP {status}"
    return StripeCallFailed(f"Stripe refused {doing} ({kind}): {message}", is_transient=transient)


def _time(value: Any) -> datetime | None:
    if isinstance(value, int) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _access_ends_at(data: dict[str, Any]) -> datetime | None:
    # Newer API versions keep the period on the items; `cancel_at` is set once it is to cancel.
    ends = _time(data.get("cancel_at")) or _time(data.get("current_period_end"))
    if ends is None:
        items = (data.get("items") or {}).get("data") or []
        ends = _time(items[0].get("current_period_end")) if items else None
    return ends


@dataclass(frozen=True)
class StripeSubscriptionState:
    subscription_id: str
    cancel_at_period_end: bool
    access_ends_at: datetime | None  # when access ends if it is to cancel, else the period's end


def stripe_subscription_cancel_set(
    *,
    subscription_id: str,
    cancel_at_period_end: bool,
    idempotency_key: str,
    metadata: dict[str, str],
) -> StripeSubscriptionState:
    """Set a Stripe subscription to cancel at its period's end, or take that back."""
    client = _client()
    doing = "the cancellation" if cancel_at_period_end else "taking back the cancellation"
    try:
        remote = client.v1.subscriptions.update(
            subscription_id,
            params={"cancel_at_period_end": cancel_at_period_end, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as exc:
        raise _failed(exc, doing) from exc
    data = remote.to_dict()
    return StripeSubscriptionState(
        subscription_id=str(remote.id),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        access_ends_at=_access_ends_at(data),
    )


def stripe_retention_discount_apply(
    *,
    subscription_id: str,
    percent_off: int,
    months: int,
    coupon_id: str,
    idempotency_key: str,
    metadata: dict[str, str],
) -> dict[str, str]:
    """Make the coupon `coupon_id` (percent_off for some months; an existing one is reused, so
    a retry never makes two), put it on the subscription and take back its pending
    cancellation; returns the coupon's and subscription's ids."""
    client = _client()
    try:
        try:
            coupon = client.v1.coupons.create(
                params={
                    "id": coupon_id,
                    "percent_off": percent_off,
                    "duration": "repeating",
                    "duration_in_months": months,
                    "name": f"Retention offer: {percent_off}% off for {months} month"
                    + ("s" if months != 1 else ""),
                    "metadata": metadata,
                },
                options={"idempotency_key": f"{idempotency_key}:coupon"},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code != "resource_already_exists":
                raise
            coupon = client.v1.coupons.retrieve(coupon_id)
        update: Any = {
            "discounts": [{"coupon": coupon.id}],
            "cancel_at_period_end": False,
            "metadata": metadata,
        }
        remote = client.v1.subscriptions.update(
            subscription_id,
            params=update,
            options={"idempotency_key": f"{idempotency_key}:subscription"},
        )
    except stripe.StripeError as exc:
        raise _failed(exc, "the retention offer") from exc
    return {"coupon": str(coupon.id), "subscription": str(remote.id)}


@dataclass(frozen=True)
class StripeInvoiceLink:
    invoice_id: str
    number: str
    created: datetime
    amount_paid: int
    currency: str
    hosted_invoice_url: str
    invoice_pdf: str


def stripe_invoices_paid(*, customer_id: str, limit: int = 24) -> list[StripeInvoiceLink]:
    """A customer's paid invoices in Stripe, newest first, with their hosted page and PDF."""
    client = _client()
    try:
        page = client.v1.invoices.list(
            params={"customer": customer_id, "status": "paid", "limit": limit}
        )
    except stripe.StripeError as exc:
        raise _failed(exc, "listing the invoices") from exc
    links = []
    for remote in page.data:
        invoice = remote.to_dict()
        created = _time(invoice.get("created"))
        if created is None:
            continue
        links.append(
            StripeInvoiceLink(
                invoice_id=str(remote.id),
                number=str(invoice.get("number") or ""),
                created=created,
                amount_paid=int(invoice.get("amount_paid") or 0),
                currency=str(invoice.get("currency") or "").upper(),
                hosted_invoice_url=str(invoice.get("hosted_invoice_url") or ""),
                invoice_pdf=str(invoice.get("invoice_pdf") or ""),
            )
        )
    return sorted(links, key=lambda link: link.created, reverse=True)
