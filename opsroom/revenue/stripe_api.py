"""The Stripe API client, when STRIPE_API_KEY is set (the official `stripe` library)."""

import stripe
from django.conf import settings


def stripe_client(*, timeout: float | None = None) -> stripe.StripeClient | None:
    """A client for the Stripe API, or None when Stripe is not configured. `timeout` (seconds)
    bounds each request where a person waits on the answer (the library's default is 80 s)."""
    if not settings.STRIPE_API_KEY:
        return None
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_API_KEY,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=1,
        http_client=stripe.new_default_http_client(timeout=timeout) if timeout else None,
    )
