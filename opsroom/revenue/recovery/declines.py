"""Decline codes in three buckets: what retrying can fix, what needs the customer, and what
must never be retried (card networks penalise retries of those)."""

from opsroom.revenue.models import PaymentCase

Bucket = PaymentCase.Bucket

NEEDS_CUSTOMER = frozenset(
    {
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "incorrect_zip",
        "invalid_cvc",
        "invalid_number",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "invalid_account",
        "authentication_required",
        "card_not_supported",
        "currency_not_supported",
    }
)
NEVER_RETRY = frozenset(
    {
        "lost_card",
        "stolen_card",
        "fraudulent",
        "do_not_try_again",
        "pickup_card",
        "restricted_card",
        "security_violation",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "stop_payment_order",
        "merchant_blacklist",
    }
)


def decline_bucket(code: str) -> str:
    """Retry later (insufficient funds, try again later, processing errors, generic declines
    and anything unknown), needs the customer (card details, authentication) or never retry
    (lost, stolen, fraudulent, do not try again)."""
    code = (code or "").strip().lower()
    if code in NEVER_RETRY:
        return Bucket.NEVER_RETRY
    if code in NEEDS_CUSTOMER:
        return Bucket.NEEDS_CUSTOMER
    return Bucket.RETRY_LATER
