"""Applying a complimentary grant in Stripe: the outbox's "stripe.comp_grant" performer.

Both Stripe calls carry an idempotency key made from the outbox entry's own key. A retry
after a crash, even one after Stripe answered and before Opsroom recorded the answer, sends
the same keys and gets Stripe's first answers back: the same coupon and the same
subscription, never second ones. Stripe keeps idempotency keys for 24 hours; automatic
retries end well within that (see OPSROOM_OUTBOX_* settings), and the metadata
`opsroom_outbox_key` on both objects finds them in Stripe for an operator retrying later.
"""

from typing import Any

import stripe

from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.core.outbox.services import outbox_entry_audit_context
from opsroom.people.models import Person
from opsroom.revenue.models import Plan, Subscription
from opsroom.revenue.services import COMP_GRANT_KIND, subscription_complimentary_record
from opsroom.revenue.stripe_api import stripe_client


def _is_transient(exc: stripe.StripeError) -> bool:
    # No answer, rate limited, a conflicting request in flight (409), or Stripe's own error.
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    status = exc.http_status
    return status is None or status == 409 or status >= 500


def comp_grant_perform(entry: OutboxEntry) -> Outcome:
    """Create the coupon and apply it to the subscription (or create one), idempotently."""
    client = stripe_client()
    if client is None:
        raise OutboxPermanentError("Stripe is not configured (STRIPE_API_KEY is empty).")
    payload = entry.payload
    months = int(payload["months"])
    key = entry.idempotency_key
    metadata = {
        "opsroom_complimentary_months": str(months),
        "opsroom_granted_by": str(payload["granted_by"]),
        "opsroom_outbox_key": key,
    }
    live_id = str(payload["live_subscription_id"])
    try:
        coupon = client.v1.coupons.create(
            params={
                "percent_off": 100,
                "duration": "repeating",
                "duration_in_months": months,
                "name": f"Complimentary, {months} month{'s' if months != 1 else ''}",
                "metadata": metadata,
            },
            options={"idempotency_key": f"{key}:coupon"},
        )
        discounts = [{"coupon": coupon.id}]
        options: Any = {"idempotency_key": f"{key}:subscription"}
        if live_id and payload["live_provider"] == "stripe":
            update: Any = {"discounts": discounts, "metadata": metadata}
            remote = client.v1.subscriptions.update(live_id, params=update, options=options)
        else:
            create: Any = {
                "customer": payload["customer_id"],
                "items": [{"price": payload["price_id"]}],
                "discounts": discounts,
                "metadata": metadata,
            }
            remote = client.v1.subscriptions.create(params=create, options=options)
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc) or type(exc).__name__
        if _is_transient(exc):
            raise RuntimeError(f"Stripe did not answer: {message}") from exc
        raise OutboxPermanentError(
            f"Stripe refused the complimentary subscription: {message}"
        ) from exc
    return {
        "coupon": str(coupon.id),
        "subscription": str(remote.id),
        # The subscription the grant is recorded on here: the live one, or Stripe's new one.
        "recorded_subscription": live_id or str(remote.id),
    }


def comp_grant_record(entry: OutboxEntry) -> None:
    """Record the grant Stripe applied (in the entry's settling transaction), and audit it."""
    payload = entry.payload
    live_id = str(payload["live_subscription_id"])
    live = (
        Subscription.objects.filter(provider_subscription_id=live_id).first() if live_id else None
    )
    subscription_complimentary_record(
        person=Person.objects.get(pk=payload["person_id"]),
        plan=Plan.objects.filter(pk=payload["plan_id"]).first() if payload["plan_id"] else None,
        months=int(payload["months"]),
        live=live,
        remote={"coupon": entry.outcome["coupon"], "subscription": entry.outcome["subscription"]},
        audit=outbox_entry_audit_context(entry),
        reason=str(payload["reason"]),
        outbox_entry_id=entry.pk,
    )


COMP_GRANT = Performer(
    kind=COMP_GRANT_KIND,
    label="Grant a complimentary subscription in Stripe",
    perform=comp_grant_perform,
    on_done=comp_grant_record,
)
