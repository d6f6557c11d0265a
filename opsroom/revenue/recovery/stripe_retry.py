"""Retrying an invoice's payment in Stripe: the outbox's "stripe.invoice_retry" performer.

The call carries the outbox entry's idempotency key, so a retry after a crash does not charge
twice. A decline is an answer, not a failure of the call: it is recorded as the outcome, and
the charge itself reaches Opsroom through the Stripe webhook like any other.
"""

import stripe

from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.revenue.recovery.services import RETRY_KIND
from opsroom.revenue.stripe_api import stripe_client


def invoice_retry_perform(entry: OutboxEntry) -> Outcome:
    """Ask Stripe to attempt the invoice's payment now."""
    client = stripe_client()
    if client is None:
        raise OutboxPermanentError("Stripe is not configured (STRIPE_API_KEY is empty).")
    invoice = str(entry.payload["invoice"])
    if not invoice:
        raise OutboxPermanentError("The case has no Stripe invoice to retry.")
    try:
        paid = client.v1.invoices.pay(invoice, options={"idempotency_key": entry.idempotency_key})
    except stripe.CardError as exc:
        return {"paid": False, "decline_code": exc.code or "", "retry": entry.payload["retry"]}
    except stripe.StripeError as exc:
        status = exc.http_status
        if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
            status is None or status == 409 or status >= 500
        ):
            raise RuntimeError(f"Stripe did not answer: {exc.user_message or exc}") from exc
        raise OutboxPermanentError(f"Stripe refused the retry: {exc.user_message or exc}") from exc
    return {"paid": paid.status == "paid", "status": paid.status, "retry": entry.payload["retry"]}


INVOICE_RETRY = Performer(
    kind=RETRY_KIND, label="Retry an invoice's payment in Stripe", perform=invoice_retry_perform
)
